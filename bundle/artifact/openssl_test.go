package artifact

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/testenv"
)

// TestOpenSSLKeys is the outside oracle for the key and signature formats:
// keys made by openssl sign bundles that verify, and openssl itself
// verifies the JWS signatures assay writes (EdDSA and RS256), so the format
// is plain JWS and not something only this code reads.
func TestOpenSSLKeys(t *testing.T) {
	openssl := testenv.RequireTool(t, "openssl", "openssl")
	ctx := context.Background()
	data := mustBuild(t)
	for _, k := range []struct {
		name   string
		gen    []string
		oracle bool // openssl verifies the JWS itself
	}{
		{"ed25519", []string{"-algorithm", "ed25519"}, true},
		{"rsa", []string{"-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:2048"}, true},
		{"ec", []string{"-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"}, false},
	} {
		t.Run(k.name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile, pubFile := filepath.Join(dir, "k.pem"), filepath.Join(dir, "k.pub")
			run := func(args ...string) {
				t.Helper()
				if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
					t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			run(append([]string{"genpkey", "-out", keyFile}, k.gen...)...)
			run("pkey", "-in", keyFile, "-pubout", "-out", pubFile)
			privPEM, _ := os.ReadFile(keyFile)
			pubPEM, _ := os.ReadFile(pubFile)
			priv, err := ParsePrivateKey(privPEM)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParsePublicKeys(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := Sign(ctx, data, priv)
			if err != nil {
				t.Fatal(err)
			}
			a, err := Open(ctx, signed, "t.tar.gz", Options{Keys: pub})
			if err != nil {
				t.Fatal(err)
			}
			if !k.oracle {
				return
			}
			var sc struct{ Signatures []string }
			if err := json.Unmarshal(a.files[SignaturesName], &sc); err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(sc.Signatures[0], ".")
			sig, err := base64.RawURLEncoding.DecodeString(parts[2])
			if err != nil {
				t.Fatal(err)
			}
			input, sigFile := filepath.Join(dir, "input"), filepath.Join(dir, "sig")
			os.WriteFile(input, []byte(parts[0]+"."+parts[1]), 0o644)
			os.WriteFile(sigFile, sig, 0o644)
			verify := []string{"dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, input}
			if k.name == "ed25519" {
				verify = []string{"pkeyutl", "-verify", "-pubin", "-inkey", pubFile, "-rawin", "-in", input, "-sigfile", sigFile}
			}
			run(verify...)
			// and a changed payload does not verify
			os.WriteFile(input, []byte(parts[0]+"."+parts[1]+"x"), 0o644)
			if out, err := exec.Command(openssl, verify...).CombinedOutput(); err == nil {
				t.Fatalf("openssl verified a changed payload: %s", out)
			}
		})
	}
}
