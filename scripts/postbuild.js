// Copies the .proto files next to the compiled loaders and marks the CLI executable.
const fs = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
for (const dir of ['proto/csi', 'proto/berth']) {
  const src = path.join(root, dir);
  if (!fs.existsSync(src)) continue;
  const dst = path.join(root, 'dist', dir);
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(src)) if (f.endsWith('.proto')) fs.copyFileSync(path.join(src, f), path.join(dst, f));
}
const cli = path.join(root, 'dist/cli/main.js');
if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
