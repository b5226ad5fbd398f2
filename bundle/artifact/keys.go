package artifact

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// minRSABits refuses RSA keys too short to trust.
const minRSABits = 2048

// PublicKey is a key signatures are verified with.
type PublicKey struct {
	// ID is the key's fingerprint: the first 16 hex digits of the SHA-256
	// of its DER (SubjectPublicKeyInfo) encoding. Signatures carry it as
	// the JWS "kid" so that messages can say which key signed.
	ID string
	// Algorithm is the JWS algorithm the key's type implies: EdDSA for
	// ed25519, RS256 for RSA, ES256/ES384/ES512 for ECDSA P-256/384/521.
	Algorithm string
	pem       string // PKIX "PUBLIC KEY" PEM, as OPA's verifier reads it
}

// PrivateKey is a key bundles are signed with.
type PrivateKey struct {
	Public PublicKey
	pem    string
}

// ParsePublicKeys reads every PEM public key (PUBLIC KEY, RSA PUBLIC KEY)
// or certificate in data.
func ParsePublicKeys(data []byte) ([]PublicKey, error) {
	var keys []PublicKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var (
			pub any
			err error
		)
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub = cert.PublicKey
			}
		default:
			if isPrivate(block.Type) {
				return nil, fmt.Errorf("PEM block %q is a private key: give the public key (openssl pkey -in KEY -pubout)", block.Type)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %q: %w", block.Type, err)
		}
		k, err := publicKey(pub)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM public key found")
	}
	return keys, nil
}

// ParsePrivateKey reads a PEM private key: PKCS#8 (PRIVATE KEY, any of
// the three kinds), RSA PRIVATE KEY or EC PRIVATE KEY. Encrypted keys are
// not supported.
func ParsePrivateKey(data []byte) (PrivateKey, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return PrivateKey{}, errors.New("no PEM private key found")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return PrivateKey{}, errors.New("encrypted private keys are not supported; decrypt it into a pipe or a tmpfs file")
		default:
			continue
		}
		if err != nil {
			return PrivateKey{}, fmt.Errorf("PEM block %q: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return PrivateKey{}, fmt.Errorf("unsupported private key type %T", key)
		}
		pub, err := publicKey(signer.Public())
		if err != nil {
			return PrivateKey{}, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return PrivateKey{}, err
		}
		return PrivateKey{Public: pub, pem: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}, nil
	}
}

func isPrivate(blockType string) bool {
	switch blockType {
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		return true
	}
	return false
}

func publicKey(pub any) (PublicKey, error) {
	var alg string
	switch k := pub.(type) {
	case ed25519.PublicKey:
		alg = "EdDSA"
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return PublicKey{}, fmt.Errorf("RSA key of %d bits: at least %d are needed", k.N.BitLen(), minRSABits)
		}
		alg = "RS256"
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			alg = "ES256"
		case elliptic.P384():
			alg = "ES384"
		case elliptic.P521():
			alg = "ES512"
		default:
			return PublicKey{}, fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
		}
	default:
		return PublicKey{}, fmt.Errorf("unsupported public key type %T (ed25519, RSA and ECDSA are supported)", pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return PublicKey{}, err
	}
	sum := sha256.Sum256(der)
	return PublicKey{
		ID:        hex.EncodeToString(sum[:8]),
		Algorithm: alg,
		pem:       string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
	}, nil
}

// GenerateKey makes a key pair of the given kind (ed25519, rsa, ecdsa) and
// returns it PEM-encoded: the private key as PKCS#8, the public key as
// PKIX, as openssl genpkey and openssl pkey -pubout write them.
func GenerateKey(kind string) (private, public []byte, err error) {
	var key crypto.Signer
	switch kind {
	case "ed25519", "":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 3072)
	case "ecdsa":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, nil, fmt.Errorf("unknown key type %q: ed25519, rsa or ecdsa", kind)
	}
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}
