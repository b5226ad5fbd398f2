package http

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
)

func decode(t *testing.T, body string) (bundle.DataSource, hcl.Diagnostics) {
	src, diags, _ := decodeRendered(t, body)
	return src, diags
}

// decodeRendered also renders the diagnostics as the CLI does, source
// snippets included.
func decodeRendered(t *testing.T, body string) (bundle.DataSource, hcl.Diagnostics, string) {
	t.Helper()
	src := "data \"http\" \"x\" {\n" + body + "\n}\n"
	f, diags := hclsyntax.ParseConfig([]byte(src), "bundle.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %s", diags)
	}
	ds, diags := New(f.Body.(*hclsyntax.Body).Blocks[0].Body, &bundle.DataEnv{})
	var out strings.Builder
	_ = hcl.NewDiagnosticTextWriter(&out, map[string]*hcl.File{"bundle.hcl": f}, 0, false).WriteDiagnostics(diags)
	return ds, diags, out.String()
}

// loadSource loads a bundle of the data block and files (name → content),
// as the loader does: ca_file is read from the bundle then.
func loadSource(t *testing.T, body string, files map[string]string) (bundle.DataSource, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	files["bundle.hcl"] = "bundle \"t\" {\n  version = \"0.1.0\"\n}\ndata \"http\" \"x\" {\n" + body + "\n}\n"
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, diags := (&bundle.Loader{DataKinds: bundle.NewDataKinds(DataKind())}).Load(context.Background(), dir)
	if diags.HasErrors() {
		return nil, diags
	}
	return b.Live[0].Source, diags
}

// allowing is a context whose fetches may read the environment variables
// given (NAME or NAME@HOST), as the CLI's --allow-env.
func allowing(t *testing.T, env ...string) context.Context {
	t.Helper()
	s, _, err := datasource.NewSecrets(env, nil)
	if err != nil {
		t.Fatal(err)
	}
	return datasource.WithSecrets(context.Background(), s)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"plain http elsewhere", `url = "http://cmdb.example.com/x.json"`, "use https://"},
		{"ftp", `url = "ftp://h/x.json"`, "want an https://"},
		{"credentials in url", `url = "https://u:s3cret-url@h/x"`, "must not hold a user"},
		{"inline authorization", `url = "https://h/x"` + "\n" + `headers = { Authorization = "Bearer s3cret-inline" }`, "headers_env"},
		{"inline token header", `url = "https://h/x"` + "\n" + `headers = { "X-Api-Token" = "s3cret-inline" }`, "headers_env"},
		{"bad timeout", `url = "https://h/x"` + "\n" + `timeout = "-1s"`, "positive duration"},
		{"bad size", `url = "https://h/x"` + "\n" + `max_bytes = 0`, "positive number"},
		{"bad format", `url = "https://h/x"` + "\n" + `format = "xml"`, `"json", "yaml"`},
		{"ca on http", `url = "http://127.0.0.1/x"` + "\n" + `ca_file = "/ca.pem"`, "only used with https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, diags, text := decodeRendered(t, tt.body)
			if !diags.HasErrors() || src != nil {
				t.Fatalf("want an error, got %v %v", src, diags)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("%q lacks %q", text, tt.want)
			}
			if strings.Contains(text, "s3cret") {
				t.Errorf("the diagnostic quotes a secret: %q", text)
			}
		})
	}
}

func TestRead(t *testing.T) {
	const token = "Bearer t0ken-from-env"
	t.Setenv("ASSAY_TEST_TOKEN", token)
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/users.json", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.Header.Get("Authorization") != token || r.Header.Get("X-Team") != "sec" {
			nethttp.Error(w, "who are you", nethttp.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"users": [{"name": "alice", "uid": 1000}]}`)
	})
	mux.HandleFunc("/users", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		fmt.Fprint(w, "users:\n  - name: alice\n    uid: 1000\n")
	})
	mux.HandleFunc("/users.yml", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "users:\n  - name: alice\n    uid: 1000\n")
	})
	mux.HandleFunc("/moved", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, "/users", nethttp.StatusFound)
	})
	plain := httptest.NewServer(mux)
	t.Cleanup(plain.Close)
	tlsSrv := httptest.NewTLSServer(mux)
	t.Cleanup(tlsSrv.Close)
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}))
	auth := `headers = { "X-Team" = "sec" }` + "\n" + `headers_env = { Authorization = "ASSAY_TEST_TOKEN" }`
	tests := []struct{ name, body string }{
		{"json over loopback http with headers", fmt.Sprintf("url = %q\n%s", plain.URL+"/users.json", auth)},
		{"json over https with a CA of the bundle", fmt.Sprintf("url = %q\nca_file = \"ca.pem\"\n%s", tlsSrv.URL+"/users.json", auth)},
		{"yaml by content type", fmt.Sprintf("url = %q", plain.URL+"/users")},
		{"yaml by extension", fmt.Sprintf("url = %q", plain.URL+"/users.yml")},
		{"same-host redirect", fmt.Sprintf("url = %q", plain.URL+"/moved")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, diags := loadSource(t, tt.body, map[string]string{"ca.pem": ca})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			v, diags := src.Read(allowing(t, "ASSAY_TEST_TOKEN@127.0.0.1"))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got, _ := json.Marshal(v)
			if string(got) != `{"users":[{"name":"alice","uid":1000}]}` {
				t.Errorf("got %s", got)
			}
		})
	}
}

func TestReadFailures(t *testing.T) {
	t.Setenv("ASSAY_TEST_TOKEN", "Bearer t0ken-from-env")
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/big", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		fmt.Fprint(w, `{"pad": "`+strings.Repeat("x", 2000)+`"}`)
	})
	mux.HandleFunc("/broken.json", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		fmt.Fprint(w, "{\n  \"a\": 1,\n  \"b\": ]\n}")
	})
	mux.HandleFunc("/down", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Error(w, "maintenance", nethttp.StatusServiceUnavailable)
	})
	mux.HandleFunc("/slow", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/away", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, "http://localhost:1/x", nethttp.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tlsSrv := httptest.NewTLSServer(mux)
	t.Cleanup(tlsSrv.Close)
	closed := httptest.NewServer(mux)
	closedURL := closed.URL
	closed.Close()

	tests := []struct{ name, body, want string }{
		{"too big", fmt.Sprintf("url = %q\nmax_bytes = 1000", srv.URL+"/big"), "max_bytes = 1000"},
		{"invalid json", fmt.Sprintf("url = %q", srv.URL+"/broken.json"), "Invalid JSON"},
		{"server error", fmt.Sprintf("url = %q", srv.URL+"/down"), "503"},
		{"timeout", fmt.Sprintf("url = %q\ntimeout = \"200ms\"", srv.URL+"/slow"), "timed out"},
		{"redirect to another host", fmt.Sprintf("url = %q\nheaders_env = { Authorization = \"ASSAY_TEST_TOKEN\" }", srv.URL+"/away"), "another host"},
		{"closed port", fmt.Sprintf("url = %q", closedURL+"/x.json"), "connection refused"},
		{"unknown CA", fmt.Sprintf("url = %q", tlsSrv.URL+"/big"), "certificate"},
		{"unset variable", fmt.Sprintf("url = %q\nheaders_env = { Authorization = \"ASSAY_TEST_UNSET\" }", srv.URL+"/big"), "ASSAY_TEST_UNSET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, diags := decode(t, tt.body)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			start := time.Now()
			v, diags := src.Read(allowing(t, "ASSAY_TEST_TOKEN", "ASSAY_TEST_UNSET"))
			if !diags.HasErrors() || v != nil {
				t.Fatalf("want an error, got %v", v)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
			if !datasource.IsUnavailable(diags) {
				t.Errorf("not marked unavailable: %v", diags)
			}
			text := diags.Error()
			if !strings.Contains(text, tt.want) {
				t.Errorf("%q lacks %q", text, tt.want)
			}
			if strings.Contains(text, "t0ken") {
				t.Errorf("the message shows the token: %q", text)
			}
		})
	}
}

func TestInvalidJSONPointsAtLine(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		fmt.Fprint(w, "{\n  \"a\": 1,\n  \"b\": ]\n}")
	}))
	t.Cleanup(srv.Close)
	src, _ := decode(t, fmt.Sprintf("url = %q", srv.URL+"/d.json"))
	_, diags := src.Read(context.Background())
	if len(diags) != 1 || diags[0].Subject == nil || diags[0].Subject.Start.Line != 3 || diags[0].Subject.Filename != srv.URL+"/d.json" {
		t.Fatalf("want a diagnostic at %s/d.json line 3, got %#v", srv.URL, diags)
	}
}

// TestHeadersEnvAllowed: headers_env sends a variable only when the
// operator allowed it, for the URL's host; otherwise the request is not
// made, and the diagnostic points at the variable's name in the block.
func TestHeadersEnvAllowed(t *testing.T) {
	t.Setenv("ASSAY_TEST_TOKEN", "Bearer t0ken-from-env")
	var got []string
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		got = append(got, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	body := fmt.Sprintf("url = %q\nheaders_env = {\n  Authorization = \"ASSAY_TEST_TOKEN\"\n}", srv.URL+"/d.json")
	tests := []struct {
		name   string
		ctx    context.Context
		sent   bool
		detail string
	}{
		{"allowed", allowing(t, "ASSAY_TEST_TOKEN"), true, ""},
		{"allowed for this host", allowing(t, "ASSAY_TEST_TOKEN@127.0.0.1"), true, ""},
		{"no allowances", context.Background(), false, "--allow-env ASSAY_TEST_TOKEN"},
		{"another variable allowed", allowing(t, "ASSAY_OTHER"), false, "--allow-env ASSAY_TEST_TOKEN"},
		{"allowed for another host", allowing(t, "ASSAY_TEST_TOKEN@cmdb.example.com"), false, "allowed only for cmdb.example.com, not for 127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			src, diags := decode(t, body)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			_, diags = src.Read(tt.ctx)
			if sent := len(got) == 1 && got[0] == "Bearer t0ken-from-env"; sent != tt.sent || (!tt.sent && len(got) > 0) {
				t.Fatalf("requests %q, want the header sent: %v", got, tt.sent)
			}
			if tt.sent {
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				return
			}
			if len(diags) != 1 || !strings.Contains(diags[0].Detail, tt.detail) || datasource.IsUnavailable(diags) {
				t.Fatalf("diags %v: want one, not unavailable, saying %q", diags, tt.detail)
			}
			// The variable's name: line 4, column 19 of bundle.hcl.
			if s := diags[0].Subject; s == nil || s.Start.Line != 4 || s.Start.Column != 19 {
				t.Errorf("subject %v, want bundle.hcl:4:19", s)
			}
			if strings.Contains(diags.Error(), "t0ken") {
				t.Errorf("the message shows the token: %v", diags)
			}
			refs := src.(datasource.SecretUser).SecretRefs()
			if len(refs) != 1 || refs[0].Env != "ASSAY_TEST_TOKEN" || refs[0].Host != "127.0.0.1" {
				t.Errorf("SecretRefs = %+v", refs)
			}
		})
	}
}

// TestCAFile: ca_file is a PEM file of the bundle; a path of the scanning
// host is refused when the bundle loads.
func TestCAFile(t *testing.T) {
	tests := []struct{ name, attr, want string }{
		{"host path", `ca_file = "/etc/ssl/certs/ca-certificates.crt"`, "CA file outside the bundle"},
		{"outside the bundle", `ca_file = "../ca.pem"`, "outside the bundle directory"},
		{"missing", `ca_file = "nope.pem"`, "Cannot read CA file"},
		{"not PEM", `ca_file = "bundle.hcl"`, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := loadSource(t, "url = \"https://cmdb.example.com/x.json\"\n"+tt.attr, map[string]string{})
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("diags %v, want %q", diags, tt.want)
			}
		})
	}
}
