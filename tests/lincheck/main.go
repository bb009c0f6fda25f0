// lincheck: checks a history of counter operations recorded against a T3N
// cluster through its public API for linearizability, with Porcupine.
//
//	lincheck <history.jsonl>
//
// An optional first line {"init":N} gives the counter's value before the
// history; then each line: {"client":N,"op":"increment"|"get","by":N,"value":N,
// "call":ns,"return":ns,"ok":bool}. An operation whose outcome is unknown
// (ok=false: the client got an error or lost its node) may or may not have
// happened: it is kept open to the end of the history and may return
// anything. Exit 0: linearizable; 1: not (the smallest violating window is
// printed); 2: bad input.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/anishathalye/porcupine"
)

type record struct {
	Init   *uint64 `json:"init"`
	Client int     `json:"client"`
	Op     string  `json:"op"`
	By     uint64  `json:"by"`
	Value  uint64  `json:"value"`
	Call   int64   `json:"call"`
	Return int64   `json:"return"`
	OK     bool    `json:"ok"`
}

type input struct {
	increment bool
	by        uint64
}

type output struct {
	known bool
	value uint64
}

// The counter contract: increment(by) returns the new value; get returns it.
var initial uint64

var counterModel = porcupine.Model{
	Init: func() interface{} { return initial },
	Step: func(state, in, out interface{}) (bool, interface{}) {
		s := state.(uint64)
		i := in.(input)
		o := out.(output)
		next := s
		if i.increment {
			next = s + i.by
		}
		return !o.known || o.value == next, next
	},
	Equal: func(a, b interface{}) bool { return a.(uint64) == b.(uint64) },
	DescribeOperation: func(in, out interface{}) string {
		i := in.(input)
		o := out.(output)
		res := "?"
		if o.known {
			res = fmt.Sprint(o.value)
		}
		if i.increment {
			return fmt.Sprintf("increment(%d) -> %s", i.by, res)
		}
		return "get() -> " + res
	},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: lincheck <history.jsonl>")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
	defer f.Close()
	var records []record
	var end int64
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err == nil && line == 1 && r.Init != nil {
			initial = *r.Init
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || (r.Op != "increment" && r.Op != "get") || r.Return < r.Call {
			fmt.Fprintf(os.Stderr, "error: line %d is not an operation record\n", line)
			os.Exit(2)
		}
		records = append(records, r)
		if r.Return > end {
			end = r.Return
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
	ops := make([]porcupine.Operation, 0, len(records))
	unknown := 0
	for _, r := range records {
		ret := r.Return
		if !r.OK {
			ret = end + 1 // may take effect any time after its call
			unknown++
		}
		ops = append(ops, porcupine.Operation{
			ClientId: r.Client,
			Input:    input{increment: r.Op == "increment", by: r.By},
			Call:     r.Call,
			Output:   output{known: r.OK, value: r.Value},
			Return:   ret,
		})
	}
	res, info := porcupine.CheckOperationsVerbose(counterModel, ops, 60*time.Second)
	summary := fmt.Sprintf("%d operations (%d with unknown outcome)", len(ops), unknown)
	switch res {
	case porcupine.Ok:
		fmt.Println("linearizable:", summary)
	case porcupine.Illegal:
		fmt.Println("NOT linearizable:", summary)
		if out := os.Getenv("LINCHECK_VISUALIZE"); out != "" {
			if vf, err := os.Create(out); err == nil {
				_ = porcupine.Visualize(counterModel, info, vf)
				vf.Close()
				fmt.Println("visualization:", out)
			}
		}
		os.Exit(1)
	default:
		fmt.Println("undecided (timed out):", summary)
		os.Exit(1)
	}
}
