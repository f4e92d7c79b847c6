import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ROOT = new URL('../../../', import.meta.url).pathname;
/** The consumer apps made like the Nest CLI's templates. */
export const CONSUMER_APPS = join(ROOT, 'test/fixtures/consumer-apps');

/**
 * Installed consumer apps live here between runs, one folder per fixture and install key, so only
 * the first run (or a change of the fixture's or our package.json) pays for `npm install`. Outside
 * the repo, because jest (the apps' own) ignores every path with a node_modules folder in it; one
 * per checkout, because each run unpacks its own build into it. LOCKER_CONSUMER_CACHE moves it.
 */
export const CACHE_DIR =
  process.env.LOCKER_CONSUMER_CACHE ??
  join(
    tmpdir(),
    `nestjs-locker-consumers-${createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}`,
  );

/** The environment without what `npm test` sets for its own run (npm_config_*, npm_package_*). */
export const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

/** Packs the package (dist/ must be built) into `dir` and returns the tarball's path. */
export async function packTarball(dir: string): Promise<{ tarball: string; files: string[] }> {
  // --ignore-scripts skips prepack's second build: the global setup built dist/.
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
    { cwd: ROOT, env: cleanEnv() },
  );
  const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  return { tarball: join(dir, packed.filename), files: packed.files.map((file) => file.path) };
}

/**
 * What decides an install: the fixture's package.json and what npm installs with nestjs-locker
 * (its dependencies and peers). The package's own code is not part of it: every run unpacks the
 * fresh tarball over the cached copy.
 */
function installKey(fixtures: string, fixture: string): string {
  const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return createHash('sha256')
    .update(readFileSync(join(fixtures, fixture, 'package.json')))
    .update(JSON.stringify([ours.dependencies, ours.peerDependencies, ours.peerDependenciesMeta]))
    .digest('hex')
    .slice(0, 16);
}

/**
 * A consumer app (a folder of `fixtures` with its own package.json), ready to run its own
 * commands: its dependencies installed with npm (once per install key), nestjs-locker from
 * `tarball`, and the fixture's sources copied fresh. Returns the app's folder.
 */
export async function consumerApp(
  fixture: string,
  tarball: string,
  fixtures: string = CONSUMER_APPS,
): Promise<string> {
  const key = installKey(fixtures, fixture);
  const dir = join(CACHE_DIR, `${relative(ROOT, fixtures).replace(/\W+/g, '-')}-${fixture}-${key}`);
  if (!existsSync(join(dir, 'node_modules'))) {
    // Installed beside, then renamed: a run stopped half-way leaves no half-installed app.
    const partial = `${dir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    cpSync(join(fixtures, fixture, 'package.json'), join(partial, 'package.json'));
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball],
      { cwd: partial, env: cleanEnv(), timeout: 600_000 },
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  }
  // The app's sources, fresh from the fixture; everything npm wrote stays.
  const kept = new Set(['node_modules', 'package.json', 'package-lock.json']);
  for (const entry of readdirSync(dir)) {
    if (!kept.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  for (const entry of readdirSync(join(fixtures, fixture))) {
    if (entry !== 'package.json') {
      cpSync(join(fixtures, fixture, entry), join(dir, entry), { recursive: true });
    }
  }
  // This build of nestjs-locker, unpacked as npm unpacks it.
  const installed = join(dir, 'node_modules/nestjs-locker');
  rmSync(installed, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  await run('tar', ['xzf', tarball, '--strip-components=1', '-C', installed]);
  return dir;
}

/** Runs `npm run <script>` in the app; rejects with its output when it fails. */
export async function npmRun(dir: string, script: string, env: NodeJS.ProcessEnv = {}) {
  try {
    return await run('npm', ['run', '--silent', script], {
      cwd: dir,
      env: { ...cleanEnv(), ...env },
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run ${script} failed in ${dir}:\n${stdout}\n${stderr}`);
  }
}
