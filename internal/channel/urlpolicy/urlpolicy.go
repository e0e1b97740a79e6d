// Package urlpolicy decides which webhook targets a Channel may reach. It is a
// leaf (standard library only) so the manager can check a Channel without
// linking the senders.
package urlpolicy

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// metadataHosts are the names cloud providers serve instance metadata
// (credentials included) under. Their addresses are link-local or otherwise
// refused below; the names are refused too, so a Channel shows the problem
// before any DNS lookup.
var metadataHosts = map[string]bool{
	"metadata":                     true,
	"metadata.google.internal":     true,
	"metadata.goog":                true,
	"instance-data":                true,
	"instance-data.ec2.internal":   true,
	"metadata.azure.internal":      true,
	"metadata.packet.net":          true,
	"metadata.platformequinix.com": true,
}

// metadataAddrs are metadata services outside the link-local ranges.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
}

// nat64 is the well-known NAT64 prefix (RFC 6052): 64:ff9b::a9fe:a9fe
// reaches 169.254.169.254 through a NAT64 gateway.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Validate is the webhook target policy: an absolute http(s) URL
// whose host is not a cloud metadata service, a link-local address
// (169.254.0.0/16, fe80::/10), an unspecified address (0.0.0.0, ::), a
// multicast or broadcast address, nor, unless allowLoopback, a loopback
// address (127.0.0.0/8, ::1, localhost). Private networks (10/8, 172.16/12,
// 192.168/16, fc00::/7) are allowed: in-cluster receivers live there.
//
// It checks the URL as written; names are checked again after DNS by the
// sender's dialer (see DialGuard), so a name that resolves (or rebinds) to a
// refused address is refused at connect time too. The controller calls it
// to decide whether a Channel is Ready; errors name spec.webhook.url and the
// fix.
func Validate(raw string, allowLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook: url %q must be an absolute http(s) URL", raw)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return fmt.Errorf("webhook: url %q has no host", raw)
	}
	if metadataHosts[host] {
		return fmt.Errorf("webhook: url host %s is a cloud metadata service; webhooks may not target it", host)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		if !allowLoopback {
			return loopbackErr(host)
		}
		return nil
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return checkAddr(addr, allowLoopback)
	}
	return nil
}

// checkAddr applies the policy to one resolved address.
func checkAddr(addr netip.Addr, allowLoopback bool) error {
	addr = addr.Unmap().WithZone("")
	if nat64.Contains(addr) {
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, m := range metadataAddrs {
		if addr == m {
			return fmt.Errorf("webhook: address %s is a cloud metadata service; webhooks may not target it", addr)
		}
	}
	switch {
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return fmt.Errorf("webhook: address %s is link-local (cloud metadata services live there); webhooks may not target it", addr)
	case addr.IsUnspecified():
		return fmt.Errorf("webhook: address %s is unspecified; give the receiver's address", addr)
	case addr.IsMulticast(), addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("webhook: address %s is multicast or broadcast; give the receiver's address", addr)
	case addr.IsLoopback():
		if !allowLoopback {
			return loopbackErr(addr.String())
		}
	}
	return nil
}

func loopbackErr(host string) error {
	return fmt.Errorf("webhook: url host %s is a loopback address, which in a worker pod reaches the pod itself; set spec.webhook.allowLoopback: true if a receiver really runs there", host)
}

// DialGuard is a net.Dialer Control hook: it runs after DNS resolution, on
// the address actually being connected to, so a hostname that resolves to a
// refused address (or is rebound to one between check and use) is refused.
func DialGuard(allowLoopback bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return fmt.Errorf("webhook: dial %s: %w", address, err)
		}
		addr, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("webhook: dial %s: not an IP address", address)
		}
		return checkAddr(addr, allowLoopback)
	}
}
