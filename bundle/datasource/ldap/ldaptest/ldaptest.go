// Package ldaptest starts a private OpenLDAP slapd for tests: its own
// configuration, schema and mdb database in a temporary directory, listening
// on loopback ports only, stopped when the test ends. It never touches any
// other directory server, and skips the test when slapd is not installed
// (.ci/apt.d/ldap.txt installs it).
package ldaptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assay-dev/assay/internal/testenv"
)

// Fixed names of the test directory.
const (
	BaseDN         = "dc=assay,dc=test"
	PeopleDN       = "ou=people," + BaseDN
	AdminDN        = "cn=admin," + BaseDN
	AdminPassword  = "admin-secret-Zq81"
	ReaderDN       = "cn=reader," + BaseDN
	ReaderPassword = "reader-secret-Pw37"
)

// Schema is the test's own definition of an sshPublicKey attribute and an
// auxiliary class to hold it, equivalent in use to the openssh-lpk schema.
// The OIDs are under OpenLDAP's experimental arc (1.3.6.1.4.1.4203.666),
// reserved for tests like this one.
const Schema = `attributetype ( 1.3.6.1.4.1.4203.666.11.99.1
  NAME 'sshPublicKey'
  DESC 'an OpenSSH public key, one authorized_keys line without options'
  EQUALITY octetStringMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )
objectclass ( 1.3.6.1.4.1.4203.666.11.99.2
  NAME 'assayKeyHolder'
  DESC 'an account that may hold SSH public keys'
  SUP top AUXILIARY
  MAY sshPublicKey )
`

// User is one posixAccount of the test directory.
type User struct {
	UID   string
	Home  string // homeDirectory
	Shell string // "" means /bin/bash
	Keys  []string
	// NoHome omits homeDirectory (the entry is then an account without
	// posixAccount), so policies must find the home in /etc/passwd.
	NoHome bool
}

// Server is a running slapd.
type Server struct {
	// URL is ldap://127.0.0.1:PORT (StartTLS available); LDAPSURL is
	// ldaps://127.0.0.1:PORT2.
	URL, LDAPSURL string
	// CAFile is the PEM file of the CA that signed the server certificate
	// (for 127.0.0.1 and localhost).
	CAFile string
	// Dir is the server's temporary directory.
	Dir string

	slapd, conf string
	ports       []int
	cmd         *exec.Cmd
	done        chan struct{}
	log         *bytes.Buffer
}

// Start runs slapd with the users loaded (plus extra LDIF, appended as is).
// The server is killed in t.Cleanup.
func Start(t testing.TB, users []User, extraLDIF string) *Server {
	t.Helper()
	// Missing slapd skips the real-directory test, or fails it in CI.
	slapd := testenv.RequireTool(t, "slapd", "slapd")
	slapadd := filepath.Join(filepath.Dir(slapd), "slapadd")
	if _, err := os.Stat(slapadd); err != nil {
		slapadd = testenv.RequireTool(t, "slapadd", "slapd")
	}
	if _, err := os.Stat("/etc/ldap/schema/nis.schema"); err != nil {
		testenv.Unavailable(t, "OpenLDAP's schema files (/etc/ldap/schema) are missing: apt-get install slapd (make test installs it via .ci/install-deps.sh)")
	}
	dir := t.TempDir()
	s := &Server{Dir: dir, CAFile: filepath.Join(dir, "ca.pem")}
	writeTLS(t, dir)
	must(t, os.WriteFile(filepath.Join(dir, "assay-test.schema"), []byte(Schema), 0o600))
	must(t, os.Mkdir(filepath.Join(dir, "db"), 0o700))
	conf := filepath.Join(dir, "slapd.conf")
	must(t, os.WriteFile(conf, []byte(slapdConf(dir)), 0o600))

	ldif := filepath.Join(dir, "data.ldif")
	must(t, os.WriteFile(ldif, []byte(LDIF(users)+extraLDIF), 0o600))
	if out, err := exec.Command(slapadd, "-q", "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}

	port, tlsPort := freePort(t), freePort(t)
	s.URL = fmt.Sprintf("ldap://127.0.0.1:%d", port)
	s.LDAPSURL = fmt.Sprintf("ldaps://127.0.0.1:%d", tlsPort)
	s.slapd, s.conf, s.ports = slapd, conf, []int{port, tlsPort}
	t.Cleanup(s.Stop)
	s.run(t)
	return s
}

// run starts slapd and waits until it listens on both ports.
func (s *Server) run(t testing.TB) {
	t.Helper()
	s.log = &bytes.Buffer{}
	// -d 0: stay in the foreground (so the test owns the process) without
	// debug output.
	s.cmd = exec.Command(s.slapd, "-d", "0", "-f", s.conf, "-h", s.URL+"/ "+s.LDAPSURL+"/")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	done := make(chan struct{})
	s.done = done
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(done) }(s.cmd)
	deadline := time.Now().Add(15 * time.Second)
	for _, p := range s.ports {
		for {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-done:
				t.Fatalf("slapd exited: %s", s.log.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("slapd did not listen on 127.0.0.1:%d within 15s: %s", p, s.log.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Stop kills slapd: the directory goes down, as in an outage. Its database
// stays, so Restart brings the same directory back on the same ports.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart starts a stopped slapd again on the same URLs.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.run(t)
}

// ClosedURL returns an ldap:// URL of a loopback port nothing listens on.
func ClosedURL(t testing.TB) string {
	return fmt.Sprintf("ldap://127.0.0.1:%d", freePort(t))
}

func slapdConf(dir string) string {
	// Non-root searches are capped at 500 entries unless paged: a search of
	// more entries succeeds only if the client pages (size.prtotal).
	return fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
include %[1]s/assay-test.schema
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile %[1]s/ca.pem
TLSCertificateFile %[1]s/server.pem
TLSCertificateKeyFile %[1]s/server.key
sizelimit size.soft=500 size.hard=500 size.prtotal=unlimited
database mdb
maxsize 1073741824
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
index objectClass,uid eq
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by users read
  by * none
`, dir, BaseDN, AdminDN, AdminPassword)
}

// LDIF renders the base entries and the users.
func LDIF(users []User) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: assay\no: assay test\n\n", BaseDN)
	fmt.Fprintf(&b, "dn: %s\nobjectClass: organizationalUnit\nou: people\n\n", PeopleDN)
	fmt.Fprintf(&b, "dn: %s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: %s\n\n", ReaderDN, ReaderPassword)
	for i, u := range users {
		fmt.Fprintf(&b, "dn: uid=%s,%s\nobjectClass: account\nobjectClass: assayKeyHolder\n", u.UID, PeopleDN)
		if !u.NoHome {
			shell := u.Shell
			if shell == "" {
				shell = "/bin/bash"
			}
			fmt.Fprintf(&b, "objectClass: posixAccount\ncn: %s\nuidNumber: %d\ngidNumber: 100\nhomeDirectory: %s\nloginShell: %s\n",
				u.UID, 10000+i, u.Home, shell)
		}
		fmt.Fprintf(&b, "uid: %s\n", u.UID)
		for _, k := range u.Keys {
			// base64 (::) keeps any byte of a malformed key intact.
			fmt.Fprintf(&b, "sshPublicKey:: %s\n", base64.StdEncoding.EncodeToString([]byte(k)))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Key returns a well-formed public key line of the given type ("ssh-ed25519",
// "ssh-rsa", …) whose blob is derived from seed: the same seed gives the same
// key. It is shaped like a real key (the blob starts with the type), which
// is all authorized_keys comparisons look at.
func Key(typ, seed, comment string) string {
	var blob []byte
	blob = binary.BigEndian.AppendUint32(blob, uint32(len(typ)))
	blob = append(blob, typ...)
	body := make([]byte, 32)
	h := []byte(seed)
	for i := range body {
		body[i] = byte(i*31) ^ h[i%len(h)]
	}
	blob = binary.BigEndian.AppendUint32(blob, uint32(len(body)))
	blob = append(blob, body...)
	line := typ + " " + base64.StdEncoding.EncodeToString(blob)
	if comment != "" {
		line += " " + comment
	}
	return line
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeTLS writes ca.pem, server.pem and server.key: a CA made for this
// test and a server certificate for 127.0.0.1 and localhost.
func writeTLS(t testing.TB, dir string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "assay test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	must(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	must(t, err)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	must(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	must(t, err)
	write := func(name, typ string, der []byte) {
		must(t, os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	}
	write("ca.pem", "CERTIFICATE", caDER)
	write("server.pem", "CERTIFICATE", srvDER)
	write("server.key", "PRIVATE KEY", keyDER)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
