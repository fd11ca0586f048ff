#!/usr/bin/env node
/**
 * Adds package-lock.json entries for optional platform packages (e.g. @swc/core-darwin-arm64)
 * that the lock lacks. npm leaves them out when the registry it installs from cannot serve
 * them (this workplace's mirror has no darwin builds of some), and `npm ci` then refuses the
 * lock as out of sync. Entries carry os/cpu/libc, so npm skips them on other platforms and
 * never fetches them. Run after `npm install` changes the lock: `node scripts/complete-lockfile.cjs`;
 * `--check` only reports (CI runs that).
 */
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const check = process.argv.includes('--check');

const OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];
const platformOf = (name) => {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  const libc = parts.some((p) => p.startsWith('musl')) ? 'musl' : parts.some((p) => p.startsWith('gnu')) ? 'glibc' : undefined;
  return { os, cpu, libc };
};

const missing = [];
for (const [where, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    // npm looks a dependency up from the depending package's folder upwards.
    const base = where ? `${where}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[base] || lock.packages[`node_modules/${name}`]) continue;
    const { os, cpu, libc } = platformOf(name);
    if (!os || !cpu) continue; // not a platform package: leave it to npm
    missing.push(name);
    lock.packages[`node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(libc && os === 'linux' ? { libc: [libc] } : {}),
    };
  }
}

if (check) {
  if (missing.length) {
    console.error(
      `package-lock.json lacks ${missing.length} optional platform package(s): ${missing.join(', ')}\nrun: ` +
        'node scripts/complete-lockfile.cjs',
    );
    process.exit(1);
  }
  console.log('package-lock.json: every optional platform package has an entry');
} else {
  fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
  console.log(missing.length ? `added ${missing.length}: ${missing.join(', ')}` : 'nothing to add');
}
