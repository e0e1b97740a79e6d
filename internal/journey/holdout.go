package journey

import "hash/fnv"

// HoldoutBucket maps (playbook, customer) to a uniform bucket in [0, 100) with
// 0.01 resolution: FNV-1a-64(playbook + "\x00" + customerID) mod 10000 / 100.
// It depends on nothing but the two names, so it is stable across restarts,
// replicas and re-enrolments.
func HoldoutBucket(playbook, customerID string) float64 {
	return float64(fnvJoined(playbook, customerID)%10000) / 100
}

// fnvJoined is FNV-1a-64 of parts joined by NUL: the one hash behind holdout
// and variant assignment.
func fnvJoined(parts ...string) uint64 {
	h := fnv.New64a()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return h.Sum64()
}

// InHoldout reports whether the customer belongs to the playbook's holdout
// (control) group: HoldoutBucket < percent.
func InHoldout(playbook, customerID string, percent float64) bool {
	return percent > 0 && HoldoutBucket(playbook, customerID) < percent
}

// Buckets is how many hash buckets customers fall into for sharding.
const Buckets = 4096

// Bucket is FNV-1a-64(customerID) mod Buckets; the store keeps it beside
// every row so a replica can select its own rows in SQL.
func Bucket(customerID string) int {
	h := fnv.New64a()
	h.Write([]byte(customerID))
	return int(h.Sum64() % Buckets)
}

// Shard assigns a customer to one of n worker replicas: Bucket mod n.
// Replicas started with --shard i/n each own exactly the customers with
// Shard == i, so they never overlap and need no coordination.
func Shard(customerID string, n int) int {
	if n <= 1 {
		return 0
	}
	return Bucket(customerID) % n
}
