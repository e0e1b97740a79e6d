package cmd

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/specmap/connect"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// campaignFlags are the campaign command's own flags.
type campaignFlags struct {
	// shard is the explicit --shard i/n override; "" means identical
	// replicas share the customers by shard lease (spec.workers.replicas shards).
	shard string
	once  bool
	poll  time.Duration
}

// campaignCommand is the Playbook Deployment: it runs the playbook until
// SIGTERM (or, with --once, until nothing is left to do).
func campaignCommand(g *globals) *cobra.Command {
	var f campaignFlags
	c := &cobra.Command{
		Use:   "campaign",
		Short: "Campaign worker: run a Playbook's journeys and send through its Channels",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, closeSrc, err := campaignOptions(cmd.Context(), g, f)
			if err != nil {
				return err
			}
			defer closeSrc()
			return campaign.Run(cmd.Context(), o)
		},
	}
	c.Flags().StringVar(&f.shard, "shard", "", "pin this replica to shard i of n (i/n) instead of leasing shards "+
		"(default: replicas lease spec.workers.replicas shards in the state store)")
	c.Flags().BoolVar(&f.once, "once", false, "return once no journey is active and nothing is pending (local runs, tests)")
	c.Flags().DurationVar(&f.poll, "poll-interval", 30*time.Second, "pause between ticks (trigger checks, due steps, resends)")
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
	var spec workerconfig.Playbook
	if err := workerconfig.Load(g.specPath(), &spec); err != nil {
		return o, nil, err
	}
	pb, err := specmap.Playbook(spec.Namespace, spec.Name, &spec.Spec)
	if err != nil {
		return o, nil, fmt.Errorf("playbook %s/%s: %w", spec.Namespace, spec.Name, err)
	}
	initial, err := initialMembers(g.specPath())
	if err != nil {
		return o, nil, err
	}
	senders, kinds, err := channelSenders(spec.Channels, g)
	if err != nil {
		return o, nil, err
	}
	rates, err := channelRates(spec.Channels)
	if err != nil {
		return o, nil, err
	}
	linkers, err := preferenceLinkers(spec.Channels)
	if err != nil {
		return o, nil, err
	}
	url, err := stateStoreURL()
	if err != nil {
		return o, nil, err
	}
	pub, err := report.FromEnvFor(reportReplica(f.shard))
	if err != nil {
		return o, nil, err
	}
	window, err := segmentWindow(&spec.Segment.Spec)
	if err != nil {
		return o, nil, err
	}
	src, err := openSource(ctx, spec.Segment.DataSource)
	if err != nil {
		return o, nil, err
	}
	if src, err = withoutErased(ctx, src, url); err != nil {
		return o, nil, err
	}
	o = campaign.Options{
		Playbook:       pb,
		StoreURL:       url,
		Channels:       senders,
		ChannelKinds:   kinds,
		ChannelRates:   rates,
		Preferences:    linkers,
		Source:         windowedSource{Connector: src, window: window},
		Segment:        segmentRef(&spec),
		InitialMembers: initial,
		Shard:          shard,
		Shards:         shards,
		ExitWhenIdle:   f.once,
		PollInterval:   f.poll,
		Logger:         g.logger,
		Publish: func(ctx context.Context, summary any) error {
			s, ok := summary.(*campaign.Summary)
			if !ok {
				return fmt.Errorf("campaign summary has type %T, want *campaign.Summary", summary)
			}
			r := playbookReport(s)
			if len(s.Steps) > 0 {
				r.Steps = s.Steps
			}
			return pub.Publish(ctx, r)
		},
	}
	if f.shard == "" {
		o.Leases = &campaign.LeaseOptions{Shards: replicaCount(&spec.Spec)}
	}
	if len(spec.LoyaltyPrograms) > 0 {
		o.Award = newLoyaltyAwarder(spec.Namespace+"/"+spec.Name, spec.LoyaltyPrograms).Award
	}
	if tc := spec.Spec.Trigger.TierChange; tc != nil {
		feed, err := newTierChangeFeed(tc.ProgramRef.Name, spec.LoyaltyPrograms)
		if err != nil {
			src.Close()
			return o, nil, err
		}
		o.TierChanges = feed.Changes
	}
	if ev := spec.Spec.Trigger.Event; ev != nil && ev.ProgramRef != nil {
		feed, err := newExpiringFeed(ev.ProgramRef.Name, spec.LoyaltyPrograms)
		if err != nil {
			src.Close()
			return o, nil, err
		}
		o.PointsExpiring = feed.Members
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

// segmentRef names the Segment whose membership the metric job stores: the
// campaign worker enrols from that snapshot (one truth for membership), it
// does not evaluate the criteria on raw rows, where predicted features such
// as churnProbability are never computed.
func segmentRef(spec *workerconfig.Playbook) *store.SegmentRef {
	ns := spec.Segment.Namespace
	if ns == "" {
		ns = spec.Namespace
	}
	name := spec.Segment.Name
	if name == "" {
		name = spec.Spec.SegmentRef.Name
	}
	return &store.SegmentRef{Namespace: ns, Name: name}
}

// initialMembers reads spec.trigger.segmentEntry.initialMembers (Enrol or
// Skip; default Enrol) from the worker spec. It is read from the JSON
// directly so the worker honours the field as soon as the API carries it.
func initialMembers(specPath string) (campaign.InitialMembers, error) {
	var raw struct {
		Spec struct {
			Trigger struct {
				SegmentEntry *struct {
					InitialMembers string `json:"initialMembers"`
				} `json:"segmentEntry"`
			} `json:"trigger"`
		} `json:"spec"`
	}
	if err := workerconfig.Load(specPath, &raw); err != nil {
		return "", err
	}
	se := raw.Spec.Trigger.SegmentEntry
	if se == nil || se.InitialMembers == "" {
		return campaign.InitialMembersEnrol, nil
	}
	switch v := campaign.InitialMembers(se.InitialMembers); v {
	case campaign.InitialMembersEnrol, campaign.InitialMembersSkip:
		return v, nil
	}
	return "", fmt.Errorf("spec.trigger.segmentEntry.initialMembers %q: want %s or %s", se.InitialMembers,
		campaign.InitialMembersEnrol, campaign.InitialMembersSkip)
}

// channelSenders builds a sender per Channel, with its Secret mounted at
// workload.SecretsDir/channels/<name>. The console sender prints to stdout.
func channelSenders(specs map[string]v1alpha1.ChannelSpec, g *globals) (map[string]channel.Sender, map[string]journey.ChannelKind, error) {
	senders := map[string]channel.Sender{}
	kinds := map[string]journey.ChannelKind{}
	names := make([]string, 0, len(specs))
	for name := range specs {
		names = append(names, name)
	}
	sort.Strings(names) // the first error is the same on every start
	for _, name := range names {
		spec := specs[name]
		cfg, err := connect.Channel(&spec)
		if err != nil {
			return nil, nil, fmt.Errorf("channel %s: %w", name, err)
		}
		if cfg.Type == channel.TypeConsole {
			cfg.ConsoleOutput = g.stdout
		}
		if cfg.Type == channel.TypeWebhook && os.Getenv(workload.LocalRootEnv) != "" {
			// A local run (retentionctl dev) is a process on the user's own
			// machine, where a loopback receiver is the user's own; in a pod
			// loopback is the pod itself and stays refused.
			cfg.Webhook.AllowLoopback = true
		}
		s, err := channel.New(cfg, channel.DirSecrets(secretsDir(workerconfig.ChannelSecretsDir, name)))
		if err != nil {
			return nil, nil, fmt.Errorf("channel %s: %w", name, err)
		}
		senders[name] = s
		kinds[name] = specmap.ChannelKind(&spec)
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
func channelRates(specs map[string]v1alpha1.ChannelSpec) (map[string]channel.RateLimit, error) {
	out := map[string]channel.RateLimit{}
	for name, spec := range specs {
		cfg, err := connect.Channel(&spec)
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", name, err)
		}
		if cfg.RateLimit.PerSecond > 0 {
			out[name] = cfg.RateLimit
		}
	}
	return out, nil
}

// replicaCount is spec.workers.replicas (default 1): the number of shards
// the replicas lease, so each replica ends up with one.
func replicaCount(spec *v1alpha1.PlaybookSpec) int {
	if spec.Workers == nil || spec.Workers.Replicas == nil || *spec.Workers.Replicas < 1 {
		return 1
	}
	return int(*spec.Workers.Replicas)
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
