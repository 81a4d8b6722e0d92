// Bundle settings build.sh hands to `jco componentize --bundle`: detectors
// import the SDK as the bare name "sandtrap" wherever they live, and the
// contract's interfaces stay imports of the component instead of being
// looked up on disk.
import { fileURLToPath } from "node:url";

export default {
  external: [/^sandtrap:detector\//],
  resolve: {
    alias: {
      sandtrap: fileURLToPath(new URL("./sandtrap.js", import.meta.url)),
    },
  },
};
