// checkpoint_verify checks Shushang's checkpoints and proofs with Go's own transparency-log
// code (golang.org/x/mod/sumdb/note and sumdb/tlog), which Shushang's authors did not write.
//
// It reads one JSON document on stdin:
//
//	{"vkey": "<name>+<hash>+<key>",
//	 "checkpoints": ["<signed note>", ...],        each must open
//	 "forged": ["<signed note>", ...],             each must NOT open
//	 "inclusion": [{"checkpoint": 1, "index": 3, "leaf": "<b64>", "proof": ["<b64>"]}],
//	 "consistency": [{"old": 0, "new": 1, "proof": ["<b64>"]}]}
//
// and prints one line per check; it exits 1 if any check fails.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type input struct {
	Vkey        string   `json:"vkey"`
	Checkpoints []string `json:"checkpoints"`
	Forged      []string `json:"forged"`
	Inclusion   []struct {
		Checkpoint int      `json:"checkpoint"`
		Index      int64    `json:"index"`
		Leaf       string   `json:"leaf"`
		Proof      []string `json:"proof"`
	} `json:"inclusion"`
	Consistency []struct {
		Old   int      `json:"old"`
		New   int      `json:"new"`
		Proof []string `json:"proof"`
	} `json:"consistency"`
}

type tree struct {
	size int64
	root tlog.Hash
}

var failed bool

func fail(format string, args ...any) {
	failed = true
	fmt.Printf("FAIL "+format+"\n", args...)
}

func hash(text string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(raw) != len(h) {
		return h, fmt.Errorf("bad hash %q", text)
	}
	copy(h[:], raw)
	return h, nil
}

// open verifies the note and parses its text as a C2SP checkpoint: origin, size, root.
func open(msg string, verifiers note.Verifiers, origin string) (tree, error) {
	n, err := note.Open([]byte(msg), verifiers)
	if err != nil {
		return tree{}, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[3] != "" || lines[0] != origin {
		return tree{}, fmt.Errorf("not a checkpoint of %s: %q", origin, n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return tree{}, err
	}
	root, err := hash(lines[2])
	return tree{size, root}, err
}

func proof(texts []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(texts))
	for i, t := range texts {
		h, err := hash(t)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Println("FAIL input:", err)
		os.Exit(2)
	}
	verifier, err := note.NewVerifier(in.Vkey)
	if err != nil {
		fmt.Println("FAIL verifier key:", err)
		os.Exit(2)
	}
	verifiers := note.VerifierList(verifier)
	origin := verifier.Name()

	trees := make([]tree, len(in.Checkpoints))
	for i, c := range in.Checkpoints {
		t, err := open(c, verifiers, origin)
		if err != nil {
			fail("checkpoint %d: %v", i, err)
			continue
		}
		trees[i] = t
		fmt.Printf("ok checkpoint %d size %d\n", i, t.size)
	}
	for i, f := range in.Forged {
		if t, err := open(f, verifiers, origin); err == nil {
			fail("forged checkpoint %d opened (size %d)", i, t.size)
		} else {
			fmt.Printf("ok forged %d refused: %v\n", i, err)
		}
	}
	for _, r := range in.Inclusion {
		t := trees[r.Checkpoint]
		leaf, err := hash(r.Leaf)
		p, err2 := proof(r.Proof)
		if err == nil {
			err = err2
		}
		if err == nil {
			err = tlog.CheckRecord(tlog.RecordProof(p), t.size, t.root, r.Index, leaf)
		}
		if err != nil {
			fail("inclusion of %d in %d: %v", r.Index, t.size, err)
		} else {
			fmt.Printf("ok inclusion %d in %d\n", r.Index, t.size)
		}
	}
	for _, c := range in.Consistency {
		old, new := trees[c.Old], trees[c.New]
		p, err := proof(c.Proof)
		if err == nil {
			err = tlog.CheckTree(tlog.TreeProof(p), new.size, new.root, old.size, old.root)
		}
		if err != nil {
			fail("consistency %d -> %d: %v", old.size, new.size, err)
		} else {
			fmt.Printf("ok consistency %d -> %d\n", old.size, new.size)
		}
	}
	if failed {
		os.Exit(1)
	}
}
