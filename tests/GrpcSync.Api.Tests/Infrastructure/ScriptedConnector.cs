using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using GrpcSync.Connectors;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// A source whose behaviour the test decides, for engine states a real folder cannot produce on cue
/// (a run held in progress, a rate limit, a transient failure). Integration <c>scripted</c>, pipeline
/// <c>items</c>. Each credential's secret names its own <see cref="Script"/>, so tests sharing the
/// host never see each other's steps. A call with no step left serves an empty page (cursor "1").
/// </summary>
public sealed class ScriptedConnector : IConnector
{
    public const string Name = "scripted";
    public const string Pipeline = "items";

    private readonly ConcurrentDictionary<string, Script> _scripts = new();

    public string Integration => Name;

    public IReadOnlyCollection<string> Pipelines { get; } = [Pipeline];

    /// <summary>The script of the credential whose secret is <paramref name="secret"/>.</summary>
    public Script For(string secret) => _scripts.GetOrAdd(secret, _ => new Script());

    public IReadOnlyList<ConfigurationProblem> ValidateConfiguration(string pipeline, JsonElement configuration) => [];

    public IAsyncEnumerable<SourcePage> EnumerateAsync(SourceContext context, CancellationToken ct) => For(context.Secret).NextAsync(ct);

    public IAsyncEnumerable<SourcePage> ChangesSinceAsync(SourceContext context, string? cursor, CancellationToken ct) =>
        For(context.Secret).NextAsync(ct);

    /// <summary>The script's content (<see cref="Script.ServesContent"/>), or NOT_FOUND.</summary>
    public Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, CancellationToken ct) =>
        For(context.Secret).Content is { } content
            ? Task.FromResult(content())
            : Task.FromException<SourceContent>(new PermanentSourceException("NOT_FOUND", "The scripted source has no content."));

    /// <summary>The steps of one credential's calls, in order.</summary>
    public sealed class Script
    {
        private readonly ConcurrentQueue<Func<CancellationToken, Task>> _steps = new();
        private SourceRecord[] _records = [];

        /// <summary>What a download of any of the script's records opens; null: no content (NOT_FOUND).</summary>
        internal Func<SourceContent>? Content { get; private set; }

        /// <summary>Every page serves these records (so a Sync has something to download).</summary>
        public Script ServesRecords(params SourceRecord[] records)
        {
            _records = records;
            return this;
        }

        /// <summary>Downloads open <paramref name="content"/> (called once per download).</summary>
        public Script ServesContent(Func<SourceContent> content)
        {
            Content = content;
            return this;
        }

        /// <summary>The next call fails with <paramref name="error"/>.</summary>
        public Script ThenThrow(Exception error)
        {
            _steps.Enqueue(_ => Task.FromException(error));
            return this;
        }

        /// <summary>The next call signals <paramref name="started"/>, then waits for <paramref name="release"/> before serving.</summary>
        public Script ThenHold(TaskCompletionSource started, Task release)
        {
            _steps.Enqueue(async ct =>
            {
                started.TrySetResult();
                await release.WaitAsync(ct);
            });
            return this;
        }

        internal async IAsyncEnumerable<SourcePage> NextAsync([EnumeratorCancellation] CancellationToken ct)
        {
            if (_steps.TryDequeue(out var step))
            {
                await step(ct);
            }
            yield return new SourcePage(_records, Cursor: "1");
        }
    }
}
