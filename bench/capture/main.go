// Command capture is the driver of bench/capture.sh: it writes a pcap file
// of ARP, NDP and other frames, and decodes one with assay's ARP/NDP decoder
// exactly as a `capture { pcap_file = … }` block does.
//
//	go run ./bench/capture -gen FILE -n 1000000
//	go run ./bench/capture -decode FILE
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/assay-dev/assay/collectors/network/arpndp"
	"github.com/assay-dev/assay/collectors/network/arpndp/arpndptest"
)

func main() {
	gen := flag.String("gen", "", "write a pcap file of generated frames here")
	n := flag.Int("n", 1_000_000, "frames to generate")
	hosts := flag.Int("hosts", 256, "stations on the generated segment")
	decode := flag.String("decode", "", "decode this pcap file and print the rate")
	flag.Parse()
	switch {
	case *gen != "":
		if err := generate(*gen, *n, *hosts); err != nil {
			log.Fatal(err)
		}
	case *decode != "":
		if err := decodeFile(*decode); err != nil {
			log.Fatal(err)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

func generate(path string, n, hosts int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	frames := arpndptest.Shuffle(arpndptest.Mix(arpndptest.Hosts(hosts)), 42)
	if err := arpndptest.WritePcap(w, frames, n, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func decodeFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	tbl := arpndp.NewTable(0)
	c, err := arpndp.ReadPcap(context.Background(), f, tbl)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	el := time.Since(start)
	fmt.Printf("frames=%d announcements=%d malformed=%d neighbors=%d seconds=%.3f frames_per_second=%.0f\n",
		c.Frames, c.Sightings, c.Malformed, tbl.Len(), el.Seconds(), float64(c.Frames)/el.Seconds())
	return nil
}
