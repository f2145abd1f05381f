// `trustline version`: the version of trustline and of the pieces it runs on (Node, OpenSSL).
import type { Command } from 'commander';
import { packageVersion } from '../../common/paths.js';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('print the versions of trustline, Node.js and OpenSSL')
    .action(() => {
      process.stdout.write(`trustline ${packageVersion()}\nnode ${process.versions.node}\nopenssl ${process.versions.openssl}\n`);
    });
}
