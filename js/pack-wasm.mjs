// Trunk post-build hook: turns the app's .wasm into a JS module holding it deflated and
// base64-encoded. The page then loads its code as scripts only, so its Content-Security-Policy
// can say `connect-src 'none'` (a fetch of the .wasm would need `connect-src 'self'`).
// Served with gzip, the module is within ~1% of the gzipped .wasm.
import { readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error("run by trunk: TRUNK_STAGING_DIR is not set");
for (const name of readdirSync(dir).filter((n) => n.endsWith("_bg.wasm"))) {
  const path = join(dir, name);
  const packed = deflateSync(readFileSync(path), { level: 9 }).toString("base64");
  writeFileSync(`${path}.js`, `export default "${packed}";\n`);
  rmSync(path);
}
