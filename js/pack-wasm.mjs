// Trunk post-build hook: turns the app's .wasm into a JS module holding it xz-compressed and
// base64-encoded. The page then loads its code as scripts only, so its Content-Security-Policy
// can say `connect-src 'none'` (a fetch of the .wasm would need `connect-src 'self'`).
// xz (LZMA2) is 18% smaller than zopfli's deflate of the same wasm, and base64 costs almost
// nothing once the server gzips the module. The dictionary is capped at 1 MiB, above the wasm's
// size: a larger one compresses no better and makes the decoder allocate more.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error("run by trunk: TRUNK_STAGING_DIR is not set");
for (const name of readdirSync(dir).filter((n) => n.endsWith("_bg.wasm"))) {
  const path = join(dir, name);
  // CRC32: the check xz-embedded (the page's decoder) always supports.
  const xz = execFileSync("xz", ["--format=xz", "--check=crc32", "--lzma2=preset=9e,dict=1MiB", "--stdout"], {
    input: readFileSync(path),
    maxBuffer: 64 << 20,
  });
  writeFileSync(`${path}.js`, `export default "${xz.toString("base64")}";\n`);
  rmSync(path);
}
