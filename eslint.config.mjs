// ESLint: the dependency direction of docs (style.md "The house") and test/architecture.spec.ts as lint rules,
// plus a few cheap correctness rules. No type-aware rules: it has to run in seconds inside `npm test`.
import tseslint from 'typescript-eslint';

/** Files the boundary rules ignore, as test/architecture.spec.ts does: specs, test helpers, fixtures. */
const NOT_PRODUCTION = ['**/*.spec.ts', '**/testing/**', '**/fixtures/**'];

/** onnxruntime-node is imported in exactly one place (native module, ~100 MB; one adapter owns it). */
const ONNX_OWNER = 'apps/vision-worker/src/model/onnx-detector.ts';
const onnxOnce = { name: 'onnxruntime-node', message: `onnxruntime-node is imported only by ${ONNX_OWNER}.` };

/** A relative import that climbs into a sibling folder of apps/gateway/src (`../x`, `../../x`, …). */
const gatewaySibling = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;

/**
 * One entry per area. `files` of different areas never overlap: ESLint does not merge two settings of the same rule,
 * the later one replaces the earlier, so every area lists all that is forbidden to it.
 */
const areas = [
  {
    name: 'libs/gb28181 is pure protocol code',
    files: ['libs/gb28181/src/**/*.ts'],
    patterns: [
      {
        regex: '^(node:)?(dgram|net|tls|http|https|fs|fs/promises|child_process|worker_threads|timers|cluster)$',
        message: 'libs/gb28181 opens no sockets, files, timers or processes: pass them in (style.md habit 1).',
      },
      { regex: '^@nestjs/', message: 'libs/gb28181 does not import Nest.' },
      { regex: '^@gb/', message: 'libs/gb28181 depends on no other package of ours.' },
      { regex: '^\\.\\./\\.\\./\\.\\./', message: 'libs/gb28181 does not reach outside its own folder.' },
    ],
  },
  {
    name: 'libs/contracts depends on nothing but itself',
    files: ['libs/contracts/src/**/*.ts'],
    patterns: [{ regex: '^(?!\\./)', message: 'libs/contracts imports only its own files (./…).' }],
  },
  {
    name: 'libs/persistence does not reach into apps or the protocol library',
    files: ['libs/persistence/src/**/*.ts'],
    patterns: [
      { regex: '^@gb/gb28181', message: 'libs/persistence holds no protocol code.' },
      { regex: 'apps/', message: 'libs never import apps.' },
    ],
  },
  {
    name: 'libs never import apps',
    files: ['libs/**/*.ts'],
    ignores: ['libs/gb28181/src/**', 'libs/contracts/src/**', 'libs/persistence/src/**'],
    patterns: [{ regex: '(^|/)apps/', message: 'libs never import apps.' }],
  },
  {
    name: 'web imports only libs/contracts of ours',
    files: ['web/**/*.ts', 'web/**/*.mts'],
    patterns: [
      { regex: '^@gb/(?!contracts$)', message: 'web/ imports only @gb/contracts of ours.' },
      { regex: '(^|/)(apps|libs/(?!contracts))', message: 'web/ imports only libs/contracts of ours.' },
    ],
  },
  {
    name: 'gateway sip/ does not know devices, streams or media',
    files: ['apps/gateway/src/sip/**/*.ts'],
    patterns: [
      {
        regex: gatewaySibling(['devices', 'streams', 'media']),
        message: 'sip/ is transport, transactions and dialogs; the use-case layers above it compose it with devices and media (style.md "The house").',
      },
    ],
  },
  {
    name: 'gateway media/ does not know sip or devices',
    files: ['apps/gateway/src/media/**/*.ts'],
    patterns: [
      {
        regex: gatewaySibling(['sip', 'devices']),
        message: 'media/ and sip/ are siblings that do not know each other; streams/ composes them (style.md "The house").',
      },
    ],
  },
  {
    name: 'everything else',
    files: ['**/*.ts', '**/*.mts'],
    ignores: ['libs/**', 'web/**', 'apps/gateway/src/sip/**', 'apps/gateway/src/media/**'],
    patterns: [],
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'dist/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    name: 'typescript parser and plugin (no type information)',
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Cheap correctness rules: each catches a real bug and none needs type information.
      'no-debugger': 'error',
      'no-dupe-keys': 'error',
      'no-duplicate-case': 'error',
      'no-self-assign': 'error',
      'no-self-compare': 'error',
      'no-unsafe-finally': 'error',
      'no-unsafe-negation': 'error',
      'no-sparse-arrays': 'error',
      'no-control-regex': 'error',
      'no-cond-assign': ['error', 'except-parens'],
      'use-isnan': 'error',
      'valid-typeof': 'error',
      'no-compare-neg-zero': 'error',
      'no-dupe-else-if': 'error',
      '@typescript-eslint/no-require-imports': 'error',
      '@typescript-eslint/no-misused-new': 'error',
      '@typescript-eslint/no-duplicate-enum-values': 'error',
    },
  },
  ...areas.map(({ name, files, ignores = [], patterns }) => ({
    name: `boundaries: ${name}`,
    files,
    ignores: [...ignores, ...NOT_PRODUCTION],
    rules: { 'no-restricted-imports': ['error', { paths: [onnxOnce], patterns }] },
  })),
  {
    name: `boundaries: ${ONNX_OWNER} owns onnxruntime-node`,
    files: [ONNX_OWNER],
    rules: { 'no-restricted-imports': 'off' },
  },
);
