/**
 * A Python build as a project's own would be (stdlib only, no network): a wheel and an sdist of
 * the version pyproject.toml holds, reproducible (fixed times), so a rebuild makes the same bytes.
 */
export const BUILD_PY = String.raw`
import base64, gzip, hashlib, io, os, re, sys, tarfile, zipfile
text = open("pyproject.toml").read()
v = re.search(r'^version = "([^"]+)"', text, re.M).group(1)
meta_version = os.environ.get("META_VERSION", v)
extra = os.environ.get("EXTRA", "")
name = "fx_lib"
meta = (f"Metadata-Version: 2.1\nName: fx-lib\nVersion: {meta_version}\nSummary: A fixture library\n"
        f"Requires-Python: >=3.8\nClassifier: Programming Language :: Python :: 3\nClassifier: License :: OSI Approved :: MIT License\n"
        f"Description-Content-Type: text/markdown\n\n# fx-lib\n\nA fixture library.{extra}\n")
os.makedirs("dist", exist_ok=True)
for f in os.listdir("dist"):
    os.remove(os.path.join("dist", f))
files = {
    f"{name}/__init__.py": f'__version__ = "{v}"\n',
    f"{name}-{v}.dist-info/METADATA": meta,
    f"{name}-{v}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: fixture\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for path, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(data.encode())}")
record.append(f"{name}-{v}.dist-info/RECORD,,")
files[f"{name}-{v}.dist-info/RECORD"] = "\n".join(record) + "\n"
with zipfile.ZipFile(f"dist/{name}-{v}-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
    for path, data in files.items():
        z.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), data)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    for path, data in {f"{name}-{v}/PKG-INFO": meta, f"{name}-{v}/pyproject.toml": text}.items():
        info = tarfile.TarInfo(path); info.size = len(data.encode()); info.mtime = 0
        t.addfile(info, io.BytesIO(data.encode()))
with open(f"dist/{name}-{v}.tar.gz", "wb") as out:
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as g:
        g.write(buf.getvalue())
`;
