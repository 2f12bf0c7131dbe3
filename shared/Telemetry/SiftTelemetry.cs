using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sift.Telemetry;

/// <summary>Sift's one ActivitySource and one Meter. Spans and metrics carry ids, never bodies or personal data.</summary>
public static class SiftTelemetry
{
    public const string Name = "Sift";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>Time of each workflow step as executed (replayed steps are not measured again).</summary>
    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>(
        "sift.workflow.step.duration", unit: "s", description: "Duration of one workflow step",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary>Time a worker spent on one workflow episode (claim to last commit): Sift's own time when no model or API is called.</summary>
    public static readonly Histogram<double> EpisodeDuration = Meter.CreateHistogram<double>(
        "sift.workflow.episode.duration", unit: "s", description: "Duration of one workflow episode in a worker",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    public static readonly Counter<long> MessagesIngested = Meter.CreateCounter<long>(
        "sift.messages.ingested", description: "Messages accepted by ingestion (duplicates excluded)");

    public static readonly Counter<long> MessagesDuplicate = Meter.CreateCounter<long>(
        "sift.messages.duplicate", description: "Messages posted again and deduplicated");

    public static readonly Counter<long> WorkflowFailures = Meter.CreateCounter<long>(
        "sift.workflow.failures", description: "Workflow episodes that failed and were retried or dead-lettered");

    /// <summary>Write transactions committed: the figure that bounds throughput on a database that syncs every commit.</summary>
    public static readonly Counter<long> StorageCommits = Meter.CreateCounter<long>(
        "sift.storage.commits", description: "Write transactions committed by Sift");

    /// <summary>Hosted-model calls by provider, model, purpose and outcome: what the classification costs, in tokens and dollars.</summary>
    public static readonly Counter<long> ModelTokens = Meter.CreateCounter<long>(
        "sift.model.tokens", unit: "{token}", description: "Tokens sent to and received from hosted models (tag sift.direction: in, out)");

    public static readonly Counter<double> ModelCost = Meter.CreateCounter<double>(
        "sift.model.cost", unit: "USD", description: "Cost of hosted-model calls, from the configured price table");

    public static readonly Histogram<double> ModelCallDuration = Meter.CreateHistogram<double>(
        "sift.model.call.duration", unit: "s", description: "Latency of one hosted-model call (tag sift.outcome)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30] });

    public const string MessageIdTag = "sift.message_id";
    public const string MailboxTag = "sift.mailbox";
    public const string StepTag = "sift.step";
    public const string StatusTag = "status";
}
