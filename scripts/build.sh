#!/usr/bin/env bash
# Builds the package: the ESM build in dist/ and the CommonJS build in dist/cjs/, each with its
# types, from the same sources (package.json "exports" picks one by "import" / "require").
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf dist
node node_modules/typescript/bin/tsc -p tsconfig.build.json
node node_modules/typescript/bin/tsc -p tsconfig.cjs.json
# The package is "type": "module"; this marks dist/cjs/ as CommonJS for Node and TypeScript alike.
echo '{ "type": "commonjs" }' >dist/cjs/package.json
