/** Process entry point of the CLI (bin/redlight.js runs the compiled copy of this file). */
import { main } from "./cli.js";

await main(process.argv);
