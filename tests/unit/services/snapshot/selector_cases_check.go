//go:build ignore

// Checks selector_cases.json against Go's own regexp and strings packages: the
// table's expectations are what a Go balancer computes. Not part of the build
// (Go is not a dependency of this project); run it by hand after editing the
// table:  go run tests/unit/services/snapshot/selector_cases_check.go tests/unit/services/snapshot/selector_cases.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

type testCase struct {
	Name        string              `json:"name"`
	Type        string              `json:"type"`
	Value       string              `json:"value"`
	PublicModel string              `json:"public_model"`
	Providers   map[string][]string `json:"providers"`
	Invalid     bool                `json:"invalid"`
	Expect      struct {
		Upstreams map[string]string `json:"upstreams"`
		Error     string            `json:"error"`
	} `json:"expect"`
}

func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// resolve returns the upstreams, the error ("", config_error, no_provider) and
// whether the pattern failed to compile.
func resolve(c testCase) (map[string]string, string, bool) {
	wanted := strings.TrimSpace(c.Value)
	if wanted == "" {
		wanted = strings.TrimSpace(c.PublicModel)
	}
	var match func(string) bool
	switch c.Type {
	case "exact":
		match = func(m string) bool { return strings.TrimSpace(m) == wanted }
	case "normalize_exact":
		n := normalize(wanted)
		match = func(m string) bool { return normalize(m) == n }
	case "regex":
		re, err := regexp.Compile(wanted)
		if err != nil {
			return nil, "config_error", true
		}
		match = re.MatchString
	default:
		return nil, "config_error", false
	}
	ups := map[string]string{}
	ids := make([]string, 0, len(c.Providers))
	for id := range c.Providers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		hits := map[string]bool{}
		for _, m := range c.Providers[id] {
			if match(m) {
				hits[m] = true
			}
		}
		if len(hits) > 1 {
			return nil, "config_error", false
		}
		for m := range hits {
			ups[id] = m
		}
	}
	if len(ups) == 0 {
		return nil, "no_provider", false
	}
	return ups, "", false
}

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var doc struct {
		Cases []testCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		panic(err)
	}
	bad := 0
	for _, c := range doc.Cases {
		ups, e, invalid := resolve(c)
		want := c.Expect.Upstreams
		if want == nil {
			want = map[string]string{}
		}
		if ups == nil {
			ups = map[string]string{}
		}
		if e != c.Expect.Error || invalid != c.Invalid || !reflect.DeepEqual(ups, want) {
			bad++
			fmt.Printf("MISMATCH %q: go gives upstreams=%v error=%q invalid=%v\n", c.Name, ups, e, invalid)
		}
	}
	fmt.Printf("%d cases, %d mismatches\n", len(doc.Cases), bad)
	if bad > 0 {
		os.Exit(1)
	}
}
