#!/usr/bin/env node
// The ```sh blocks of a markdown document: used by scripts/tutorial.sh to run docs/tutorial.md
// and by the test that checks the document runs as written.
//   node scripts/doc-blocks.mjs FILE [--drop-last]   prints a bash script that echoes and runs them
import fs from 'node:fs'
import {fileURLToPath} from 'node:url'

export function shBlocks(file) {
  return [...fs.readFileSync(file, 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map(m => m[1])
}

/** Each command is shown before it runs; a block with a here-document is shown whole. */
export function toScript(blocks) {
  // single-quoted: the text is shown, never expanded
  const show = text => `printf '\\n\\033[1m%s\\033[0m\\n' '${text.replace(/'/g, `'\\''`)}'\n`
  return blocks
    .map(block => {
      if (block.includes('<<'))
        return (
          show(
            block
              .trimEnd()
              .split('\n')
              .map(l => `  ${l}`)
              .join('\n')
              .replace(/^ {2}/, '$ '),
          ) + block
        )
      return block
        .split('\n')
        .filter(l => l.trim())
        .map(l => show(`$ ${l}`) + l + '\n')
        .join('')
    })
    .join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const blocks = shBlocks(process.argv[2])
  if (process.argv.includes('--drop-last')) blocks.pop()
  process.stdout.write(toScript(blocks))
}
