/** Single-quotes a value for POSIX sh. */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The install.sh a feed serves: pins the feed's first root by its sha256 (so a tampered mirror
 * cannot hand out another root), installs slipway from npm, and runs `slipway install`.
 */
export function renderInstallScript(options: { url: string; rootSha256: string; pkg: string; app: string }): string {
  return `#!/usr/bin/env bash
# Installs ${options.app} from ${options.url}, verified against the feed's pinned root.
#   curl -fsSL ${options.url}/install.sh | bash -s -- --channel=beta [--root=/opt/app] [--version=1.2.3] [--port=8080]
set -euo pipefail
FEED=${sq(options.url)}
ROOT_SHA256=${sq(options.rootSha256)}
PKG=${sq(options.pkg)}
CHANNEL=stable
ROOT_DIR=/opt/${options.app.replace(/[^\w.-]/g, '')}
VERSION=
PORT=
for arg in "$@"; do
  case "$arg" in
    --channel=*) CHANNEL="\${arg#*=}" ;;
    --root=*) ROOT_DIR="\${arg#*=}" ;;
    --version=*) VERSION="\${arg#*=}" ;;
    --port=*) PORT="\${arg#*=}" ;;
    -h|--help) sed -n '2,3p' "$0" 2>/dev/null || true; exit 0 ;;
    *) echo "install.sh: unknown option $arg (expected --channel=, --root=, --version=, --port=)" >&2; exit 2 ;;
  esac
done
command -v node >/dev/null || { echo "install.sh: Node.js 22 or newer is needed (https://nodejs.org)" >&2; exit 1; }
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 22 ] || { echo "install.sh: Node.js 22 or newer is needed; this is $(node -v)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
curl -fsSL "$FEED/metadata/1.root.json" -o "$tmp/root.json"
got="$(sha256sum "$tmp/root.json" | cut -d' ' -f1)"
if [ "$got" != "$ROOT_SHA256" ]; then
  echo "install.sh: the feed's root.json has sha256 $got, expected $ROOT_SHA256; refusing to install" >&2
  exit 1
fi
command -v slipway >/dev/null || npm install --global --no-fund --no-audit "$PKG"
set -- install --feed "$FEED" --channel "$CHANNEL" --root "$ROOT_DIR" --trusted-root "$tmp/root.json"
if [ -n "$VERSION" ]; then set -- "$@" --version "$VERSION"; fi
if [ -n "$PORT" ]; then set -- "$@" --port "$PORT"; fi
slipway "$@"
`;
}
