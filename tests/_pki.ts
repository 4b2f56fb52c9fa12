// Certificates for the TLS tests, made with openssl: a private CA with a
// CA:FALSE leaf for localhost (the right way), an old-style self-signed
// certificate without subjectAltName (what old Torrent Suite servers have),
// and another self-signed one with the same name (an impostor).

/** PEM texts (certificate and key) of the test certificates. */
export interface Pki {
  /** The private CA's certificate. */
  ca: string;
  /** A leaf for localhost and 127.0.0.1 signed by the CA. */
  leaf: { cert: string; key: string };
  /** Self-signed, CN=ts.example.org, no subjectAltName, CA:TRUE. */
  old: { cert: string; key: string };
  /** The same kind of certificate, another key: must never be trusted. */
  impostor: { cert: string; key: string };
}

/** Makes the certificates in a temporary folder. */
export async function makePki(): Promise<Pki> {
  const dir = await Deno.makeTempDir({ prefix: "ionrun-pki-" });
  const sh = `set -e
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=localhost" 2>/dev/null
printf 'basicConstraints=CA:FALSE\\nsubjectAltName=DNS:localhost,IP:127.0.0.1\\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile leaf.ext 2>/dev/null
for n in old impostor; do
  openssl req -x509 -newkey rsa:2048 -nodes -keyout $n.key -out $n.pem -days 2 -subj "/CN=ts.example.org" 2>/dev/null
done`;
  const out = await new Deno.Command("sh", { args: ["-c", sh], cwd: dir })
    .output();
  if (out.code !== 0) {
    throw new Error(`openssl failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
  const pair = async (n: string) => ({
    cert: await read(`${n}.pem`),
    key: await read(`${n}.key`),
  });
  const pki = {
    ca: await read("ca.pem"),
    leaf: await pair("leaf"),
    old: await pair("old"),
    impostor: await pair("impostor"),
  };
  await Deno.remove(dir, { recursive: true });
  return pki;
}
