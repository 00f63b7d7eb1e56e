// Trunk post-build hook: turns the app's .wasm into a JS module holding it deflated and
// base64-encoded. The page then loads its code as scripts only, so its Content-Security-Policy
// can say `connect-src 'none'` (a fetch of the .wasm would need `connect-src 'self'`).
// The deflate stream comes from zopfli (5% smaller than zlib's best, a few seconds per build);
// served with gzip, the module is then smaller than the gzipped .wasm itself.
import { readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { zlib } from "@gfx/zopfli";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error("run by trunk: TRUNK_STAGING_DIR is not set");
for (const name of readdirSync(dir).filter((n) => n.endsWith("_bg.wasm"))) {
  const path = join(dir, name);
  const packed = Buffer.from(await promisify(zlib)(readFileSync(path), { numiterations: 15 })).toString("base64");
  writeFileSync(`${path}.js`, `export default "${packed}";\n`);
  rmSync(path);
}
