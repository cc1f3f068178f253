/** Errors raised by body-parser / raw-body (http-errors objects, keyed by `type`), as the API reports them. */
export const BODY_ERROR_DESCRIPTIONS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  'entity.parse.failed': { status: 400, code: 'MALFORMED_JSON', message: 'Request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' },
  'entity.verify.failed': { status: 400, code: 'BAD_REQUEST', message: 'Request body failed verification' },
  'request.aborted': { status: 400, code: 'REQUEST_ABORTED', message: 'Request was aborted' },
  'request.size.invalid': { status: 400, code: 'BAD_REQUEST', message: 'Request size did not match Content-Length' },
  'encoding.unsupported': { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported content encoding' },
  'charset.unsupported': { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported charset' },
  'parameters.too.many': { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Too many form parameters' },
  /** Ours, not body-parser's: a Content-Encoding (gzip, deflate, br) whose bytes do not decode; zlib's error has no type. */
  'entity.decoding.failed': { status: 400, code: 'MALFORMED_BODY', message: 'Request body does not decode with its Content-Encoding' },
};
