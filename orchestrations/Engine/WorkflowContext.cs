using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sift.Mail;
using Sift.Telemetry;

namespace Sift.Engine;

/// <summary>
/// What a running workflow sees: its message, and the durable primitives. A step whose result is in the history is
/// not run again: its stored result is returned, so a restarted instance resumes after its last completed step.
/// <para>
/// Local steps (pure computation, no I/O) are persisted with the next checkpoint; activities (I/O: models, APIs) are
/// checkpointed as soon as they finish; side effects are recorded before and after they happen. A crash can thus
/// only repeat local computation, never a model call or a send.
/// </para>
/// </summary>
public sealed class WorkflowContext
{
    private readonly WorkflowStore _store;
    private readonly WorkflowClaim _claim;
    private readonly WorkflowHistory _history;
    private readonly TimeProvider _time;
    private readonly WorkflowOptions _options;
    private readonly string _workerId;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _waitOrdinals = new(StringComparer.Ordinal);
    private readonly List<StepRecord> _pendingSteps = [];
    private readonly List<AuditEntry> _pendingAudit = [];
    private readonly List<SideEffectRecord> _pendingEffects = [];
    private readonly List<ModelCallEntry> _pendingModelCalls = [];
    private MessagePatch? _pendingPatch;
    private DraftRow? _pendingDraft;
    private int _seq;

    internal WorkflowContext(WorkflowStore store, WorkflowClaim claim, WorkflowHistory history, InboundMessage message, TimeProvider time, WorkflowOptions options, string workerId)
    {
        _store = store;
        _claim = claim;
        _history = history;
        _time = time;
        _options = options;
        _workerId = workerId;
        Message = message;
        _seq = history.Steps.Count;
    }

    public Guid MessageId => _claim.MessageId;

    public string Mailbox => _history.Mailbox;

    public InboundMessage Message { get; }

    /// <summary>
    /// The message's owner on record when this run began: changed by the workflow's own updates and by a person
    /// reassigning a waiting review. It can differ between runs, so read it only inside a step, whose result is recorded.
    /// </summary>
    public string? OwnerOnRecord => _history.Owner;

    /// <summary>The current time. Use it only inside a step, whose result is then recorded.</summary>
    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Whether a step of this name is already in the history (a resumed instance passed it before).</summary>
    public bool Completed(string name) => _history.Steps.ContainsKey(name);

    /// <summary>A local step: pure computation. Its result is recorded with the next checkpoint.</summary>
    public T Step<T>(string name, Func<T> run, Func<T, AuditNote> describe)
    {
        if (TryReplay<T>(name, out var stored))
        {
            return stored;
        }

        var started = Stopwatch.GetTimestamp();
        using var activity = StartSpan(name);
        var result = run();
        Record(name, result, describe(result), Stopwatch.GetElapsedTime(started));
        return result;
    }

    /// <summary>
    /// An activity: I/O (a model call, an API read). Checkpointed when it returns, so that it is not repeated after a crash;
    /// pass <paramref name="checkpointNow"/> false for I/O that is cheap and safe to repeat, to save a commit.
    /// </summary>
    public async Task<T> ActivityAsync<T>(string name, Func<CancellationToken, Task<T>> run, Func<T, AuditNote> describe, CancellationToken cancellationToken, bool checkpointNow = true)
    {
        if (TryReplay<T>(name, out var stored))
        {
            return stored;
        }

        var started = Stopwatch.GetTimestamp();
        T result;
        using (StartSpan(name))
        {
            result = await run(cancellationToken);
        }

        Record(name, result, describe(result), Stopwatch.GetElapsedTime(started));
        if (checkpointNow)
        {
            await CheckpointAsync(name, cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// A side effect in the world (a send, a post, a CRM write), under an idempotency key. It is recorded as started
    /// before it happens and as done after. If a crash left it started, <paramref name="find"/> asks the other side
    /// whether it already happened, and it is performed only if not. Its completion is recorded with the next checkpoint:
    /// until then, the started record and <paramref name="find"/> are what prevent a repeat.
    /// </summary>
    public async Task<T> SideEffectAsync<T>(
        string name,
        string idempotencyKey,
        Func<CancellationToken, Task<T?>> find,
        Func<CancellationToken, Task<T>> perform,
        Func<T, AuditNote> describe,
        CancellationToken cancellationToken)
        where T : class
    {
        if (TryReplay<T>(name, out var stored))
        {
            return stored;
        }

        var started = Stopwatch.GetTimestamp();
        using var activity = StartSpan(name);
        T? result = null;
        if (_history.SideEffects.TryGetValue(idempotencyKey, out var record))
        {
            result = record.State == "done" && record.Result is not null
                ? JsonSerializer.Deserialize(record.Result, TypeInfo<T>())
                : await find(cancellationToken);
            activity?.SetTag("sift.side_effect.recovered", result is not null);
        }
        else
        {
            _pendingEffects.Add(new SideEffectRecord { IdempotencyKey = idempotencyKey, Kind = name, State = "started" });
            await CheckpointAsync($"before:{name}", cancellationToken);
        }

        CrashPoint($"before-perform:{name}");
        result ??= await perform(cancellationToken);
        CrashPoint($"after-perform:{name}");
        _pendingEffects.Add(new SideEffectRecord { IdempotencyKey = idempotencyKey, Kind = name, State = "done", Result = JsonSerializer.Serialize(result, TypeInfo<T>()) });
        Record(name, result, describe(result), Stopwatch.GetElapsedTime(started));
        return result;
    }

    /// <summary>
    /// Waits durably for an external event (e.g. a review decision). If it has not arrived, the instance is unloaded and
    /// wakes when the event is raised or the deadline passes; the result says which happened.
    /// </summary>
    public EventResult<T> WaitForEvent<T>(string eventName, DateTimeOffset? deadline)
    {
        var ordinal = _waitOrdinals[eventName] = _waitOrdinals.GetValueOrDefault(eventName) + 1;
        var name = $"wait:{eventName}:{ordinal}";
        if (TryReplay<EventResult<T>>(name, out var stored))
        {
            return stored;
        }

        if (_history.Events.TryGetValue(eventName, out var payload))
        {
            var received = new EventResult<T>(false, JsonSerializer.Deserialize(payload, TypeInfo<T>()));
            Record(name, received, new AuditNote($"{eventName} received"), TimeSpan.Zero);
            return received;
        }

        if (deadline is { } due && Now >= due)
        {
            var timedOut = new EventResult<T>(true, default);
            Record(name, timedOut, new AuditNote($"{eventName} deadline passed", $"no {eventName} by {due:O}"), TimeSpan.Zero);
            return timedOut;
        }

        _names.Remove(name);
        throw new WorkflowSuspendedException(eventName, deadline);
    }

    /// <summary>Changes columns of the message row, with the next checkpoint.</summary>
    public void Update(MessagePatch patch) => _pendingPatch = _pendingPatch?.Merge(patch) ?? patch;

    /// <summary>Writes the message's draft row, with the next checkpoint.</summary>
    public void SaveDraft(DraftRow draft) => _pendingDraft = draft;

    /// <summary>
    /// Adds an audit entry that is not a step's own (a step audits itself). Workflow code re-runs on replay, so it
    /// records what happens to it through steps; this is for the runner (retries, dead letters).
    /// </summary>
    internal void Audit(string step, AuditNote note) =>
        _pendingAudit.Add(new AuditEntry(MessageId, Now, step, note.What, note.Why, _workerId, note.ModelVersion, note.PolicyVersion, note.Data));

    /// <summary>
    /// Drops what was not yet committed, before a failure is recorded: if the failure was the commit itself, the same rows
    /// would fail again. Safe by design: local steps are pure, and a side effect's started record and its transport's
    /// lookup prevent a repeat.
    /// </summary>
    internal void DiscardPending()
    {
        _pendingSteps.Clear();
        _pendingAudit.Clear();
        _pendingEffects.Clear();
        _pendingModelCalls.Clear();
        _pendingPatch = null;
        _pendingDraft = null;
    }

    internal async Task CheckpointAsync(string point, CancellationToken cancellationToken, Transition? transition = null)
    {
        var now = Now;
        var checkpoint = new Checkpoint(now, now + _options.LeaseDuration, [.. _pendingSteps], [.. _pendingAudit], _pendingPatch, _pendingDraft, [.. _pendingEffects], transition)
        {
            ModelCalls = [.. _pendingModelCalls],
        };
        CrashPoint($"before-commit:{point}");
        await _store.CommitAsync(_claim, checkpoint, cancellationToken);
        _pendingSteps.Clear();
        _pendingAudit.Clear();
        _pendingEffects.Clear();
        _pendingModelCalls.Clear();
        _pendingPatch = null;
        _pendingDraft = null;
        CrashPoint($"after-commit:{point}");
    }

    private bool TryReplay<T>(string name, out T result)
    {
        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"Step name '{name}' is used twice in one workflow.");
        }

        if (_history.Steps.TryGetValue(name, out var json))
        {
            result = JsonSerializer.Deserialize(json, TypeInfo<T>())!;
            return true;
        }

        result = default!;
        return false;
    }

    private void Record<T>(string name, T result, AuditNote note, TimeSpan elapsed)
    {
        var now = Now;
        _pendingSteps.Add(new StepRecord(MessageId, name, ++_seq, JsonSerializer.Serialize(result, TypeInfo<T>()), now, elapsed.TotalMilliseconds));
        _pendingAudit.Add(new AuditEntry(MessageId, now, name, note.What, note.Why, _workerId, note.ModelVersion, note.PolicyVersion, note.Data));
        _pendingModelCalls.AddRange(note.ModelCalls.Select(c => new ModelCallEntry(MessageId, now, name, c)));
        SiftTelemetry.StepDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(SiftTelemetry.StepTag, name.Split(':')[0]));
    }

    private Activity? StartSpan(string name)
    {
        var activity = SiftTelemetry.Source.StartActivity("step " + name);
        activity?.SetTag(SiftTelemetry.MessageIdTag, MessageId);
        activity?.SetTag(SiftTelemetry.MailboxTag, Mailbox);
        activity?.SetTag(SiftTelemetry.StepTag, name);
        return activity;
    }

    private void CrashPoint(string point)
    {
        if (_options.CrashAt is { } crashAt && string.Equals(crashAt, point, StringComparison.Ordinal))
        {
            // A real kill, not an exception: nothing after this line runs, no finally, no flush.
            Process.GetCurrentProcess().Kill();
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)WorkflowJsonContext.Default.GetTypeInfo(typeof(T))!;
}
