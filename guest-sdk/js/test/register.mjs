// Lets plain node load sandtrap.js for the unit tests: every contract
// import ("sandtrap:detector/…") resolves to mock-host.mjs.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
