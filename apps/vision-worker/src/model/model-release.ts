/**
 * The official YOLOX-Nano ONNX export: Megvii-BaseDetection/YOLOX release 0.1.1rc0, asset yolox_nano.onnx
 * (Apache-2.0). The shared development copy (models README) is a different export of the same weights,
 * so its sha256 differs; both decode the same way.
 */
export const YOLOX_NANO_RELEASE = {
  url: 'https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx',
  sha256: 'c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d',
  bytes: 3_659_407,
} as const;
