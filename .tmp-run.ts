import { main } from "/work/wt-clock2/cli/main.ts";
main(process.argv.slice(2)).then((c) => { process.exitCode = c; });
