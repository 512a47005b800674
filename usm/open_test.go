package usm

import (
	"errors"
	"fmt"
	"sync"
)

// creds are a user's protocols and passwords.
type creds struct {
	auth     AuthProtocol
	authPass string
	priv     PrivProtocol
	privPass string
}

// kuCache keeps PasswordToKey results: the tests derive the same keys
// many times.
var kuCache sync.Map // kuKey -> []byte

type kuKey struct {
	p        AuthProtocol
	password string
}

func cachedKu(p AuthProtocol, password string) []byte {
	k := kuKey{p, password}
	if v, ok := kuCache.Load(k); ok {
		return v.([]byte)
	}
	ku := PasswordToKey(p, []byte(password))
	kuCache.Store(k, ku)
	return ku
}

var errAuth = errors.New("authentication failed")

// openV3 does what a receiver does with an SNMPv3 message, with this
// package's functions only: check the MAC, then decrypt, then decode the
// scopedPDU. The keys are localized with the message's
// msgAuthoritativeEngineID.
func openV3(msg []byte, c creds) (*v3Msg, *scopedPDU, error) {
	m, err := parseV3(msg)
	if err != nil {
		return nil, nil, err
	}
	wantFlags := byte(0x01)
	if c.priv != PrivNone {
		wantFlags = 0x03
	}
	if m.flags&0x03 != wantFlags {
		return m, nil, fmt.Errorf("msgFlags %#x, want auth/priv bits %#x", m.flags, wantFlags)
	}
	if m.authLen != c.auth.MACLen() {
		return m, nil, fmt.Errorf("msgAuthenticationParameters of %d octets, want %d", m.authLen, c.auth.MACLen())
	}
	zeroed, mac := m.zeroedMAC(msg)
	authKey := LocalizeKey(c.auth, cachedKu(c.auth, c.authPass), m.engineID)
	verified := c.auth.Verify(authKey, zeroed, mac)
	if NewAuthKey(c.auth, authKey).VerifyMsg(msg, m.authOff) != verified {
		return m, nil, fmt.Errorf("AuthKey.VerifyMsg disagrees with Verify (%v)", verified)
	}
	if !verified {
		return m, nil, errAuth
	}
	plain := m.data
	if c.priv != PrivNone {
		if !m.encrypted {
			return m, nil, errors.New("authPriv message with a plaintext scopedPDU")
		}
		key := LocalizePrivKey(c.auth, c.priv, cachedKu(c.auth, c.privPass), m.engineID)
		plain, err = Decrypt(c.priv, key, m.boots, m.time, m.privParams, m.data, nil)
		if err != nil {
			return m, nil, err
		}
	} else if m.encrypted {
		return m, nil, errors.New("authNoPriv message with an encryptedPDU")
	}
	sp, err := decodeScopedPDU(plain)
	if err != nil {
		return m, nil, fmt.Errorf("scopedPDU: %w", err)
	}
	maxTrailing := 0
	if c.priv == PrivDES {
		maxTrailing = 8 // gosnmp pads a whole block when none is needed
	}
	if sp.trailing > maxTrailing {
		return m, nil, fmt.Errorf("%d octets after the scopedPDU", sp.trailing)
	}
	return m, sp, nil
}
