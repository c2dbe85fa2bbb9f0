// The pages' templates and configuration beside the compiled scripts, as the mini-program's build lays them out.
const fs = require('fs');
const path = require('path');

const source = path.resolve(__dirname, '../miniprogram');
const target = path.resolve(__dirname, '../dist');
(function copy(folder) {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const from = path.join(folder, entry.name);
    if (entry.isDirectory()) copy(from);
    else if (/\.(wxml|wxss|json)$/.test(entry.name)) {
      const to = path.join(target, path.relative(source, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
})(source);
