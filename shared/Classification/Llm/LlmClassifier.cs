using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.Tokenizers;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Sift.Classification.Llm;

/// <summary>
/// Asks the hosted model to classify a message against the taxonomy, with personal data redacted, a strict JSON schema,
/// one repair round for an invalid answer, and retries, timeouts and a circuit breaker around each call. Provider
/// failures are outcomes, never exceptions: the caller sends a message without a classification to a human.
/// </summary>
public sealed partial class LlmClassifier
{
    private static readonly Lazy<TiktokenTokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    private readonly LlmClientFactory _clients;
    private readonly LlmOptions _options;
    private readonly TaxonomyOptions _taxonomy;
    private readonly TimeProvider _time;
    private readonly ILogger<LlmClassifier> _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly ChatResponseFormat _format;

    public LlmClassifier(LlmClientFactory clients, IOptions<LlmOptions> options, IOptions<TaxonomyOptions> taxonomy, TimeProvider time, ILogger<LlmClassifier> logger)
    {
        _clients = clients;
        _options = options.Value;
        // An unconfigured taxonomy means the shipped one, as elsewhere in Sift.
        _taxonomy = taxonomy.Value.Intents.Count > 0 ? taxonomy.Value : TaxonomyOptions.Default();
        _time = time;
        _logger = logger;
        _pipeline = BuildPipeline(_options, time);
        _format = ChatResponseFormat.ForJsonSchema(LlmPrompt.Schema(_taxonomy), LlmPrompt.SchemaName, "The triage of one email: intent, urgency, owner, policy flags, confidence and rationale.");
    }

    /// <summary>The name classifications carry: <c>{provider}:{model}</c>.</summary>
    public string ModelName => $"{_options.Provider}:{_options.Model}";

    public async Task<LlmOutcome> ClassifyAsync(LlmRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var message = request.Message;
        var body = message.Latest.Length > _options.MaxEmailChars ? message.Latest[.._options.MaxEmailChars] + "\n[...cut]" : message.Latest;
        // The sender's display name is left out: it is personal data the redactor cannot always spot, and triage needs none of it.
        var parts = LlmPrompt.Redact(new RedactedParts(message.From.Address, message.Subject, body, request.ThreadContext, request.CrmContext), _options.RedactPii);
        List<ChatMessage> messages =
        [
            new(ChatRole.System, LlmPrompt.System(request.Company, _taxonomy, request.PolicyLines.IsDefault ? [] : request.PolicyLines)),
            new(ChatRole.User, LlmPrompt.User(parts, request.LocalGuess)),
        ];
        var chatOptions = new ChatOptions
        {
            Temperature = 0,
            MaxOutputTokens = _options.MaxOutputTokens,
            ResponseFormat = _format,
            // OpenAI's strict structured output (Microsoft.Extensions.AI.OpenAI reads this key); other providers ignore it.
            AdditionalProperties = new() { ["strict"] = true },
        };
        var injected = LlmPrompt.LooksLikeInjection(message.Subject) || LlmPrompt.LooksLikeInjection(message.Text);

        var calls = new List<ModelCall>();
        using var client = _clients.Create();
        var first = await CallAsync(client, messages, chatOptions, "classify", calls, ct);
        if (first.Response is null)
        {
            return Failed(first.Failure!, calls, parts);
        }

        var (answer, outcome, errors) = LlmAnswer.Parse(first.Response.Text, _taxonomy);
        calls.Add(Answered(first, outcome, messages));
        if (answer is null)
        {
            Log.InvalidAnswer(_logger, ModelName, outcome, errors.Length);
            messages.Add(new ChatMessage(ChatRole.Assistant, first.Response.Text));
            messages.Add(new ChatMessage(ChatRole.User, LlmPrompt.Repair(errors)));
            var repair = await CallAsync(client, messages, chatOptions, "repair", calls, ct);
            if (repair.Response is null)
            {
                return Failed($"the answer was invalid ({string.Join(" ", errors)}) and the repair call failed: {repair.Failure}", calls, parts);
            }

            (answer, outcome, var repairErrors) = LlmAnswer.Parse(repair.Response.Text, _taxonomy);
            calls.Add(Answered(repair, outcome, messages));
            if (answer is null)
            {
                Log.InvalidAnswer(_logger, ModelName, outcome, repairErrors.Length);
                return Failed($"the answer was still invalid after one repair: {string.Join(" ", repairErrors)}", calls, parts);
            }
        }

        var flags = injected && !answer.PolicyFlags.Contains(PolicyFlags.PromptInjectionSuspected)
            ? answer.PolicyFlags.Add(PolicyFlags.PromptInjectionSuspected)
            : answer.PolicyFlags;
        var classification = new Classification(answer.Intent, answer.Urgency, flags, answer.Confidence, answer.Rationale, ModelName);
        return new LlmOutcome(classification, answer.Owner, null, [.. calls]) { Placeholders = parts.Placeholders };
    }

    private LlmOutcome Failed(string failure, List<ModelCall> calls, RedactedParts parts)
    {
        Log.Failed(_logger, ModelName, calls.Count);
        return new LlmOutcome(null, null, failure, [.. calls]) { Placeholders = parts.Placeholders };
    }

    /// <summary>
    /// One call through the pipeline: retried, timed out and counted by the circuit breaker. Drafting calls the model
    /// through here too, so every hosted-model call shares one circuit and one accounting.
    /// </summary>
    internal async Task<CallResult> CallAsync(IChatClient client, List<ChatMessage> messages, ChatOptions chatOptions, string purpose, List<ModelCall> calls, CancellationToken ct)
    {
        var attempt = 0;
        var prompt = Render(messages);
        try
        {
            return await _pipeline.ExecuteAsync(
                async token =>
                {
                    attempt++;
                    return await AttemptAsync(client, messages, chatOptions, purpose, attempt, prompt, calls, token, ct);
                },
                ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (BrokenCircuitException)
        {
            return new CallResult(null, purpose, attempt, default, 0, $"the circuit to {ModelName} is open after repeated failures; the provider was not called");
        }
        catch (TimeoutRejectedException)
        {
            return new CallResult(null, purpose, attempt, default, 0, string.Create(CultureInfo.InvariantCulture, $"{purpose}: timeout (over {_options.Timeout.TotalSeconds:0.###} s) on attempt {attempt} of {_options.MaxAttempts}"));
        }
        catch (LlmProviderException e)
        {
            // A failure that surfaced while the caller was cancelling is the cancellation.
            ct.ThrowIfCancellationRequested();
            return new CallResult(null, purpose, attempt, default, 0, $"{purpose}: {e.Outcome} on attempt {attempt} of {_options.MaxAttempts}");
        }
    }

    private async ValueTask<CallResult> AttemptAsync(
        IChatClient client, List<ChatMessage> messages, ChatOptions chatOptions, string purpose, int attempt, string prompt, List<ModelCall> calls, CancellationToken attemptToken, CancellationToken ct)
    {
        var probe = new HttpProbe();
        LlmHttpObserver.Current.Value = probe;
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        try
        {
            var response = await client.GetResponseAsync(messages, chatOptions, attemptToken);
            return new CallResult(response, purpose, attempt, startedAt, Elapsed(started), null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Record("cancelled");
            throw;
        }
        catch (OperationCanceledException) when (attemptToken.IsCancellationRequested)
        {
            // The pipeline's per-attempt timeout: Polly turns this into a TimeoutRejectedException and retries.
            Record("timeout");
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // An SDK's own timeout surfaces as a cancellation nobody asked for; the rest are HTTP errors or lost connections.
            var outcome = e is OperationCanceledException ? "timeout" : probe.Status is { } status ? $"http-{status}" : "network-error";
            Record(outcome);
            Log.AttemptFailed(_logger, ModelName, purpose, attempt, outcome);
            var transient = probe.Status is null or 408 or 429 or >= 500;
            throw new LlmProviderException(outcome, transient, probe.RetryAfter, e);
        }
        finally
        {
            LlmHttpObserver.Current.Value = null;
        }

        void Record(string outcome)
        {
            if (probe.Sent)
            {
                var note = outcome == "timeout" ? "no answer in time; the provider may still bill the prompt" : "no answer; not billed";
                calls.Add(new ModelCall(_options.Provider, _options.Model, purpose, attempt, startedAt, Elapsed(started), outcome, 0, 0, false, 0m, note, prompt));
            }
        }
    }

    /// <summary>The record of an answered call: usage from the provider, or counted with o200k_base when it gave none.</summary>
    internal ModelCall Answered(CallResult result, string outcome, List<ChatMessage> sent)
    {
        var response = result.Response!;
        var prompt = Render(result.Purpose == "classify" ? sent.Take(2) : sent);
        var usageIn = response.Usage?.InputTokenCount;
        var usageOut = response.Usage?.OutputTokenCount;
        var tokensIn = usageIn ?? O200k.Value.CountTokens(prompt);
        var tokensOut = usageOut ?? O200k.Value.CountTokens(response.Text);
        var price = _options.PriceOf(_options.Model);
        var cost = price is null ? 0m : ((tokensIn * price.InputPerMillionUsd) + (tokensOut * price.OutputPerMillionUsd)) / 1_000_000m;
        var note = price is null ? $"no price for '{_options.Model}' in {LlmOptions.Section}:Prices" : null;
        return new ModelCall(
            _options.Provider, _options.Model, result.Purpose, result.Attempt, result.StartedAt, result.LatencyMs, outcome,
            tokensIn, tokensOut, usageIn is null || usageOut is null, cost, note, prompt);
    }

    private long Elapsed(long started) => (long)_time.GetElapsedTime(started).TotalMilliseconds;

    private static string Render(IEnumerable<ChatMessage> messages)
    {
        var sb = new StringBuilder();
        foreach (var message in messages)
        {
            sb.Append('[').Append(message.Role.Value).Append("]\n").Append(message.Text).Append("\n\n");
        }

        return sb.ToString().TrimEnd();
    }

    /// <summary>Retry (outermost), then the circuit breaker, then the per-attempt timeout, all on the injected clock.</summary>
    private static ResiliencePipeline BuildPipeline(LlmOptions options, TimeProvider time)
    {
        static bool Counts(Exception? e) => e is TimeoutRejectedException || e is LlmProviderException { Transient: true };

        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                // A Retry-After beyond the limit is not waited for: the message goes to a human instead.
                ShouldHandle = args => ValueTask.FromResult(
                    Counts(args.Outcome.Exception) && !(args.Outcome.Exception is LlmProviderException { RetryAfter: { } after } && after > options.MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is LlmProviderException { RetryAfter: { } after } ? after : (TimeSpan?)null),
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
            ShouldHandle = args => ValueTask.FromResult(Counts(args.Outcome.Exception)),
        });
        builder.AddTimeout(options.Timeout);
        return builder.Build();
    }

    internal sealed record CallResult(ChatResponse? Response, string Purpose, int Attempt, DateTimeOffset StartedAt, long LatencyMs, string? Failure);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "LLM {Model}: {Purpose} attempt {Attempt} failed: {Outcome}")]
        public static partial void AttemptFailed(ILogger logger, string model, string purpose, int attempt, string outcome);

        [LoggerMessage(Level = LogLevel.Information, Message = "LLM {Model}: answer rejected ({Outcome}, {Errors} errors)")]
        public static partial void InvalidAnswer(ILogger logger, string model, string outcome, int errors);

        [LoggerMessage(Level = LogLevel.Warning, Message = "LLM {Model}: no classification after {Calls} calls; the message goes to a human")]
        public static partial void Failed(ILogger logger, string model, int calls);
    }
}

/// <summary>A failed attempt in one shape whatever the SDK threw.</summary>
internal sealed class LlmProviderException(string outcome, bool transient, TimeSpan? retryAfter, Exception inner)
    : Exception($"LLM provider: {outcome}", inner)
{
    public string Outcome { get; } = outcome;

    /// <summary>Worth retrying and counted by the circuit breaker: 408, 429, 5xx, lost connections, timeouts.</summary>
    public bool Transient { get; } = transient;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}
