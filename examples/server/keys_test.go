package main

import (
	"strings"
	"testing"
)

func TestParseKeys(t *testing.T) {
	const k1 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	const k2 = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
	if _, err := parseKeys(" \n"); err == nil || !strings.Contains(err.Error(), "head -c 32 /dev/urandom | base64") {
		t.Errorf("no key: %v", err)
	}
	keys, err := parseKeys(k1 + ", " + k2 + "\n")
	if err != nil || len(keys) != 2 {
		t.Fatalf("two keys: %v %v", keys, err)
	}
	again, _ := parseKeys(k2 + "\n" + k1)
	if keys[0].ID == keys[1].ID || keys[0].ID != again[1].ID || strings.Contains(keys[0].ID, k1[:8]) {
		t.Errorf("key ids: %q %q, again %q %q", keys[0].ID, keys[1].ID, again[0].ID, again[1].ID)
	}
	if _, err := parseKeys("not-base64-secret!"); err == nil || strings.Contains(err.Error(), "not-base64-secret") {
		t.Errorf("a bad key: %v", err)
	}
}
