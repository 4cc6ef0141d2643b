// ESLint (flat config): typescript-eslint's type-checked recommended rules, the layers of src/ and the plugin
// boundary as import rules, and no import cycles. `npm run lint`; the formatter is Prettier (.prettierrc.json).
import {readdirSync} from 'node:fs'
import js from '@eslint/js'
import {defineConfig} from 'eslint/config'
import {createNodeResolver, importX} from 'eslint-plugin-import-x'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const PLUGINS = readdirSync(new URL('plugins/', import.meta.url), {withFileTypes: true})
  .filter(d => d.isDirectory())
  .map(d => d.name)
const dirs = names => names.map(n => `./src/${n}`)

// src/ from the top: entry points (commands, hooks) → cli → services → the rest; planner, config and model are pure.
const BELOW_SERVICES = [
  'render',
  'executor',
  'status',
  'schema',
  'log',
  'testing',
  'planner',
  'config',
  'drivers',
  'model',
]
const LAYER_ZONES = [
  {
    // the node agent (src/agent) calls services as commands do, but is called by src/services/daemon.ts
    target: dirs(['services', 'agent', ...BELOW_SERVICES]),
    from: dirs(['commands', 'cli', 'hooks']),
    message: 'services and what is below them never import commands, cli or hooks (those call them)',
  },
  {
    // render formats what services return: it may name their result types (checked below), nothing else
    target: dirs(BELOW_SERVICES.filter(d => d !== 'render')),
    from: dirs(['services']),
    message: 'only commands, cli and hooks import src/services',
  },
  {
    target: dirs(['planner', 'config', 'model']),
    from: dirs(['executor', 'status', 'render']),
    message: 'planner, config and model are pure: they never import the executor, status probes or renderers',
  },
  {
    target: dirs(['drivers']),
    from: dirs(['executor', 'status', 'render', 'planner', 'schema']),
    message: 'the driver API and registry sit below the planner, executor and renderers',
  },
]

// A plugin reaches the core only through `import type ... from 'svcmgr'` (and its tests through svcmgr/testing):
// no relative path into the core's src/ or another plugin, no deep import into svcmgr's dist/.
const CORE_PATHS = ['./src', './bin', './test']
const pluginZones = (where, {core = true, others = true} = {}) =>
  PLUGINS.map(p => ({
    target: `./plugins/${p}/${where}`,
    from: [...(core ? CORE_PATHS : []), ...(others ? PLUGINS.filter(o => o !== p).map(o => `./plugins/${o}`) : [])],
    message: core
      ? `plugins/${p} imports the core as 'svcmgr' (types) or 'svcmgr/testing' (tests), never by a path`
      : `plugins/${p} reaches into another plugin's folder: a plugin knows no other plugin`,
  }))
const SVCMGR_TYPES_ONLY = {
  name: 'svcmgr',
  allowTypeImports: true,
  message: "a plugin imports only types from 'svcmgr': what it uses at run time arrives through its contexts",
}

// Commands are thin: they take values only from services, cli and render (types from anywhere).
const COMMAND_LOGIC = {
  regex: '^(\\.\\./)+(config|drivers|planner|executor|schema|model|status|log|testing)/',
  allowTypeImports: true,
  message: 'a command calls src/services (and formats with src/render); move this logic into a service',
}

export default defineConfig(
  {ignores: ['**/dist/**', '**/node_modules/**', 'docs/**', 'test/fixtures/**/*.json', 'tmp/**', '.bench/**']},

  js.configs.recommended,
  {
    languageOptions: {ecmaVersion: 2023, sourceType: 'module', globals: globals.node},
    linterOptions: {reportUnusedDisableDirectives: 'error'},
    plugins: {'import-x': importX},
    settings: {
      'import-x/extensions': ['.ts', '.mts', '.js', '.mjs'],
      'import-x/parsers': {'@typescript-eslint/parser': ['.ts', '.mts']},
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.mts', '.js', '.mjs', '.json', '.node'],
          // NodeNext: `./x.js` in TypeScript source is ./x.ts
          extensionAlias: {'.js': ['.ts', '.js'], '.mjs': ['.mts', '.mjs']},
        }),
      ],
    },
    rules: {
      // `catch {}` is the idiom for best-effort cleanup and display-only writes
      'no-empty': ['error', {allowEmptyCatch: true}],
      // regexes match the CLI's column layout space for space
      'no-regex-spaces': 'off',
    },
  },

  {
    files: ['**/*.ts', '**/*.mts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {parserOptions: {project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname}},
    rules: {
      // any is kept where input is untyped on purpose (drivers of mixed keyword types, listr2 tasks, `ip -j` JSON,
      // parsed CLI output in tests) and its shape is checked at run time; strict tsc covers the typed rest
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // driver methods and oclif hooks are async by interface, with or without an await inside
      '@typescript-eslint/require-await': 'off',
      // driver methods are called with .call(driver) and capabilities are arrow functions: no `this` is lost
      '@typescript-eslint/unbound-method': 'off',
      // `_x` names and rest siblings say "left out on purpose"
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true},
      ],
    },
  },

  // the layers of src/ and no cycles
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', {zones: LAYER_ZONES}],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['src/render/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {regex: '^\\.\\./services/', allowTypeImports: true, message: 'render takes only types from src/services'},
          ],
        },
      ],
    },
  },
  {
    files: ['src/commands/**/*.ts'],
    rules: {'@typescript-eslint/no-restricted-imports': ['error', {patterns: [COMMAND_LOGIC]}]},
  },
  {
    files: ['plugins/*/src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', {zones: pluginZones('src')}],
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [SVCMGR_TYPES_ONLY],
          patterns: [{group: ['svcmgr/*'], message: "plugin code imports only types, from 'svcmgr'"}],
        },
      ],
    },
  },
  {
    files: ['plugins/*/test/**/*.ts'],
    rules: {
      // the core only through svcmgr/testing; another plugin's registration (an ip.netns test needs a container
      // driver, an LV test the fs scratch devices) stays a warning until plugins are found through the core
      'import-x/no-restricted-paths': ['error', {zones: pluginZones('test', {others: false})}],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {...SVCMGR_TYPES_ONLY, message: "plugin tests take values from 'svcmgr/testing', types from 'svcmgr'"},
          ],
          patterns: [
            {regex: '^svcmgr/(?!testing$)', message: "no deep imports into svcmgr: use 'svcmgr' or 'svcmgr/testing'"},
          ],
        },
      ],
    },
  },

  {
    files: ['plugins/*/test/**/*.ts'],
    plugins: {'import-x-cross': importX},
    rules: {'import-x-cross/no-restricted-paths': ['warn', {zones: pluginZones('test', {core: false})}]},
  },

  // tests: chai's property assertions (`.to.be.empty`) are expressions
  {
    files: ['test/**/*.ts', 'plugins/*/test/**/*.ts'],
    rules: {'@typescript-eslint/no-unused-expressions': 'off'},
  },
)
