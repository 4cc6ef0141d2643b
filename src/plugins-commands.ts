/**
 * The bundle entry of the two root commands that extend @oclif/plugin-plugins' (src/main.ts loads
 * it on first use): plugin-plugins and its npm machinery stay out of every other command's start.
 */
export {default as Plugins} from './commands/plugins/index.js'
export {default as Install} from './commands/plugins/install.js'
