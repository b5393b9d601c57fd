// ESLint flat config: the recommended JS and typescript-eslint rules (without type information, so lint stays fast on
// a shared machine) plus the project's import boundaries (scripts/lint/import-boundaries.mjs, from ARCHITECTURE.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from './scripts/lint/import-boundaries.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.e2e/**', '.cache/**', 'test-artifacts/**', '.model-lab/**', 'media/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,mjs,js}'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
      },
    },
    plugins: { 'model-lab': boundaries },
    rules: {
      'model-lab/import-boundaries': 'error',
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // A plain require keeps optional tfjs packages external to the bundle and unloaded until chosen (file comment).
    files: ['src/training/backend.ts', 'test/**'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The formula parser walks nodes with comma sequences of calls on purpose.
    files: ['src/training/worker/fused/update-kernels.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
