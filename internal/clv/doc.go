// Package clv implements predictive customer lifetime value: reading
// transaction logs, summarising them into per-customer RFM rows in the
// convention of the lifetimes library, the BG/NBD purchase model (Fader,
// Hardie & Lee 2005), the Gamma-Gamma spend model (Fader, Hardie & Lee 2005b,
// "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis") and the
// discounted CLV that combines them.
//
// The package imports only the standard library, gonum and internal/customer,
// so that it can be tested with plain values and the public CDNOW data set.
package clv
