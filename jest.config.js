// One jest for the workspace, ESM mode (NestJS 12 is ESM-only): run through scripts/test.mjs,
// which adds --experimental-vm-modules. Projects are the test tiers.
const transform = {
  '^.+\\.ts$': ['@swc/jest', {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
  }],
};
const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@harness/llm-simulator$': '<rootDir>/tools/llm-simulator/src/index.ts',
    '^@harness/dev-idp$': '<rootDir>/tools/dev-idp/src/index.ts',
    '^@harness/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  rootDir: import.meta.dirname,
};
export default {
  // End-to-end tests boot services and wait on conditions with their own deadlines; this is only the backstop.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{libs,services,tools}/*/test/unit/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/{libs,services,tools}/*/test/integration/**/*.test.ts', '<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
