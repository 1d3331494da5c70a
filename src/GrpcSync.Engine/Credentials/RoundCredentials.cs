using GrpcSync.Domain;
using GrpcSync.Storage;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Engine.Credentials;

/// <summary>
/// The credentials of one dispatch round's runs, read in one store call (<see cref="IEngineStore.GetCredentialsAsync"/>)
/// as soon as the round has committed its claims: the moment each run's worker used to read its own. The dispatcher
/// does not wait for it; each worker awaits the read and takes its credential from it.
/// <para>
/// Why: with a thousand runs in flight, a read per run is a thousand connection checkouts, and on PostgreSQL the
/// dispatcher and the group commit queue behind them for the pool. Freshness is the same as a read per run: every
/// round reads again after its claims, so a credential deleted, rejected or given a new secret before a round
/// is seen by that round's runs. Only the stored form (<see cref="Credential.ProtectedSecret"/>) is held, for the
/// round's runs only; each worker reveals the secret itself, for its run.
/// </para>
/// </summary>
internal sealed partial class RoundCredentials
{
    private readonly IEngineStore _store;
    private readonly Task<IReadOnlyDictionary<Guid, Credential>?> _read;

    private RoundCredentials(IEngineStore store, Task<IReadOnlyDictionary<Guid, Credential>?> read)
    {
        _store = store;
        _read = read;
    }

    /// <summary>Starts reading <paramref name="credentialIds"/> (distinct) and returns at once.</summary>
    public static RoundCredentials Read(IEngineStore store, IReadOnlyCollection<Guid> credentialIds, ILogger logger, CancellationToken ct) =>
        new(store, ReadOrNullAsync(store, credentialIds, logger, ct));

    /// <summary>The credential as the round's read found it: null when it does not exist or is deleted.</summary>
    public async Task<Credential?> GetAsync(Guid credentialId, CancellationToken ct)
    {
        var found = await _read.WaitAsync(ct);
        if (found is null)
        {
            return await _store.GetCredentialAsync(credentialId, ct); // the round's read failed: this run reads its own
        }
        return found.GetValueOrDefault(credentialId);
    }

    private static async Task<IReadOnlyDictionary<Guid, Credential>?> ReadOrNullAsync(IEngineStore store,
        IReadOnlyCollection<Guid> credentialIds, ILogger logger, CancellationToken ct)
    {
        await Task.Yield(); // the dispatcher goes on with its round; the read runs beside it
        try
        {
            return await store.GetCredentialsAsync(credentialIds, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null; // shutdown: each worker's own read sees the cancellation
        }
        catch (Exception e)
        {
            LogRoundReadFailed(logger, e, credentialIds.Count);
            return null;
        }
    }

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning,
        Message = "Reading the {Count} credentials of a dispatch round failed; each run reads its own")]
    private static partial void LogRoundReadFailed(ILogger logger, Exception e, int count);
}
