package cmd

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
)

// campaignFlags are the campaign command's own flags.
type campaignFlags struct {
	// shard is the explicit --shard i/n override; "" means identical
	// replicas share the customers by shard lease (spec.workers.replicas shards).
	shard string
	once  bool
	poll  time.Duration
	// sends is how many messages a shard has on the wire at once.
	sends int
}

// campaignCommand is the Playbook Deployment: it runs the playbook until
// SIGTERM (or, with --once, until nothing is left to do).
func campaignCommand(g *globals) *cobra.Command {
	var f campaignFlags
	c := noArgsCommand("campaign", "Campaign worker: run a Playbook's journeys and send through its Channels", func(ctx context.Context) error {
		o, closeSrc, err := campaignOptions(ctx, g, f)
		if err != nil {
			return err
		}
		defer closeSrc()
		return campaign.Run(ctx, o)
	})
	c.Flags().StringVar(&f.shard, "shard", "", "pin this replica to shard i of n (i/n) instead of leasing shards "+
		"(default: replicas lease spec.workers.replicas shards in the state store)")
	c.Flags().BoolVar(&f.once, "once", false, "return once no journey is active and nothing is pending (local runs, tests)")
	c.Flags().DurationVar(&f.poll, "poll-interval", 30*time.Second, "pause between ticks (trigger checks, due steps, resends)")
	c.Flags().IntVar(&f.sends, "send-concurrency", campaign.DefaultConcurrency,
		"messages a shard has in flight at once; also the most a crash can leave sent but unrecorded (re-sent with the same idempotency key)")
	return c
}

// campaignOptions reads the spec, environment and mounted Secrets into the
// runner's Options.
func campaignOptions(ctx context.Context, g *globals, f campaignFlags) (o campaign.Options, closeSrc func(), err error) {
	shard, shards := 0, 1
	if f.shard != "" {
		if shard, shards, err = parseShard(f.shard); err != nil {
			return o, nil, err
		}
	}
	var spec contract.Playbook
	if err := contract.Load(g.specPath(), &spec); err != nil {
		return o, nil, err
	}
	initial, err := initialMembers(spec.InitialMembers)
	if err != nil {
		return o, nil, err
	}
	senders, kinds, err := channelSenders(spec.Channels, g)
	if err != nil {
		return o, nil, err
	}
	linkers, err := preferenceLinkers(spec.Channels, g.paths)
	if err != nil {
		return o, nil, err
	}
	url, err := g.stateStoreURL()
	if err != nil {
		return o, nil, err
	}
	pub, err := report.FromEnvFor(reportReplica(f.shard))
	if err != nil {
		return o, nil, err
	}
	src, err := g.openSource(ctx, spec.Segment.DataSource)
	if err != nil {
		return o, nil, err
	}
	if src, err = withoutErased(ctx, src, url); err != nil {
		return o, nil, err
	}
	o = campaign.Options{
		Playbook:       spec.Journey,
		StoreURL:       url,
		Channels:       senders,
		ChannelKinds:   kinds,
		ChannelRates:   channelRates(spec.Channels),
		Preferences:    linkers,
		Source:         windowedSource{Connector: src, window: spec.Segment.Config.WindowOrDefault()},
		Segment:        &store.SegmentRef{Namespace: spec.Segment.Namespace, Name: spec.Segment.Name},
		InitialMembers: initial,
		Shard:          shard,
		Shards:         shards,
		ExitWhenIdle:   f.once,
		PollInterval:   f.poll,
		Concurrency:    f.sends,
		Logger:         g.logger,
		Publish: func(ctx context.Context, s *campaign.Summary) error {
			r := playbookReport(s)
			if len(s.Steps) > 0 {
				r.Steps = s.Steps
			}
			return pub.Publish(ctx, r)
		},
	}
	if f.shard == "" {
		o.Leases = &campaign.LeaseOptions{Shards: max(spec.Replicas, 1)}
	}
	if len(spec.LoyaltyPrograms) > 0 {
		o.Award = newLoyaltyAwarder(spec.Namespace+"/"+spec.Name, spec.LoyaltyPrograms, g.paths).Award
	}
	if tc := spec.Journey.Trigger.TierChange; tc != nil {
		api, err := newProgramAPI("trigger.tierChange.programRef", tc.ProgramRef, spec.LoyaltyPrograms, g.paths)
		if err != nil {
			src.Close()
			return o, nil, err
		}
		o.TierChanges = api.tierChanges
	}
	if ev := spec.Journey.Trigger.Event; ev != nil && ev.ProgramRef != "" {
		api, err := newProgramAPI("trigger.event.programRef", ev.ProgramRef, spec.LoyaltyPrograms, g.paths)
		if err != nil {
			src.Close()
			return o, nil, err
		}
		o.PointsExpiring = api.expiringMembers
	}
	withEvents, closeIngested, err := withIngestedEvents(ctx, &spec, o.Source, url)
	if err != nil {
		src.Close()
		return o, nil, err
	}
	o.Source = withEvents
	o.Wake = ingestWake(ctx, &spec, url, g.logger)
	closeAll := func() { closeIngested(); src.Close() }
	if loyaltyReferenced(&spec) {
		b := &ledgerBalances{url: url, log: func(msg string, args ...any) { g.logger.Info(msg, args...) }}
		o.LoyaltyBalances = b.ForEachBalance
		closeAll = func() { b.Close(); closeIngested(); src.Close() }
	}
	return o, closeAll, nil
}

// initialMembers reads spec.trigger.segmentEntry.initialMembers (Enrol or
// Skip; "" is Enrol).
func initialMembers(v string) (campaign.InitialMembers, error) {
	switch m := campaign.InitialMembers(v); m {
	case "":
		return campaign.InitialMembersEnrol, nil
	case campaign.InitialMembersEnrol, campaign.InitialMembersSkip:
		return m, nil
	}
	return "", fmt.Errorf("spec.trigger.segmentEntry.initialMembers %q: want %s or %s", v,
		campaign.InitialMembersEnrol, campaign.InitialMembersSkip)
}

// channelSenders builds a sender per Channel, with its Secret mounted at
// workload.SecretsDir/channels/<name>. The console sender prints to stdout.
func channelSenders(channels map[string]contract.Channel, g *globals) (map[string]channel.Sender, map[string]journey.ChannelKind, error) {
	senders := map[string]channel.Sender{}
	kinds := map[string]journey.ChannelKind{}
	for _, name := range slices.Sorted(maps.Keys(channels)) { // the first error is the same on every start
		cfg := channels[name].Sender
		if cfg.Type == senderconfig.TypeConsole {
			cfg.ConsoleOutput = g.stdout
		}
		if cfg.Type == senderconfig.TypeWebhook && g.paths.Local() {
			// A local run (retentionctl dev) is a process on the user's own
			// machine, where a loopback receiver is the user's own; in a pod
			// loopback is the pod itself and stays refused.
			cfg.Webhook.AllowLoopback = true
		}
		s, err := channel.New(cfg, channel.DirSecrets(g.paths.Secrets(contract.ChannelSecretsDir, name)))
		if err != nil {
			return nil, nil, fmt.Errorf("channel %s: %w", name, err)
		}
		senders[name] = s
		kinds[name] = channels[name].Kind
	}
	return senders, kinds, nil
}

// reportReplica names this replica's section of the report ConfigMap (see
// report.MergePlaybook): the pinned shard, else the pod name ($HOSTNAME, the
// lease holder too). Empty (no section, one summary) outside a pod.
func reportReplica(shard string) string {
	if shard != "" {
		return "shard-" + strings.ReplaceAll(shard, "/", "-of-")
	}
	return os.Getenv("HOSTNAME")
}

// channelRates are the Channels' spec.rateLimit: the campaign worker holds
// each to its rate across all replicas and playbooks through the state
// store (campaign.Options.ChannelRates).
func channelRates(channels map[string]contract.Channel) map[string]senderconfig.RateLimit {
	out := map[string]senderconfig.RateLimit{}
	for name, ch := range channels {
		if ch.Sender.RateLimit.PerSecond > 0 {
			out[name] = ch.Sender.RateLimit
		}
	}
	return out
}

// parseShard reads "i/n" with 0 <= i < n.
func parseShard(s string) (shard, shards int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		shard, err = strconv.Atoi(a)
		if err == nil {
			shards, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || shards < 1 || shard < 0 || shard >= shards {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n, e.g. 0/1", s)
	}
	return shard, shards, nil
}
