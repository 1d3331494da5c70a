using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// What the sync engine needs from the store: claiming due work, renewing leases, recording how runs
/// end, and writing records. Implemented by the same classes as <see cref="ISyncStore"/>.
/// </summary>
public interface IEngineStore
{
    /// <summary>
    /// Finds up to <paramref name="max"/> Syncs that may have work at <paramref name="now"/> — not DISABLED
    /// or ERRORED, and with a QUEUED run due, a RUNNING run whose lease expired, or <c>next_run_at</c> due
    /// and no open run — locks each Sync row (PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c>, so replicas never
    /// pick the same Sync), applies <paramref name="decide"/> (<see cref="RunRules.Dispatch"/>) and commits.
    /// Returns the runs that were started (decisions whose result is non-null), each with its Sync.
    /// <para>
    /// Each decision also gets its Sync's <see cref="CredentialBudget"/>: the source's hold on the credential, and the
    /// runs RUNNING on it under a live lease, counted under a per-credential dispatch lock (so replicas cannot both
    /// take its last slot) and including the runs this round already started, against
    /// <paramref name="maxRunsPerCredential"/> of the Sync's integration. A Sync held back because every slot is
    /// taken marks its credential full: the credential's Syncs are no candidates until a run on it ends (any change
    /// that moves a RUNNING run out of RUNNING clears the mark) or, at the latest, until its earliest live lease ends.
    /// </para>
    /// </summary>
    Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max,
        Func<string, int> maxRunsPerCredential, Func<SyncSnapshot, CredentialBudget, SyncChange<SyncRun?>> decide,
        CancellationToken ct = default);

    /// <summary>
    /// <see cref="DispatchAsync(DateTimeOffset, int, Func{string, int}, Func{SyncSnapshot, CredentialBudget, SyncChange{SyncRun}}, CancellationToken)"/>
    /// without per-credential budgets: no cap, and the decision does not see the credential's hold.
    /// </summary>
    Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max,
        Func<SyncSnapshot, SyncChange<SyncRun?>> decide, CancellationToken ct = default) =>
        DispatchAsync(now, max, static _ => int.MaxValue, (snapshot, _) => decide(snapshot), ct);

    /// <summary>
    /// Extends the lease of run <paramref name="runId"/> of Sync <paramref name="syncId"/> still RUNNING under
    /// <paramref name="attempt"/>. False when the worker lost it (cancelled, disabled, reclaimed or finished): the worker must stop.
    /// </summary>
    Task<bool> RenewLeaseAsync(Guid syncId, Guid runId, int attempt, DateTimeOffset leaseExpiresAt, CancellationToken ct = default);

    /// <summary>Like <see cref="ISyncStore.MutateSyncAsync{T}"/> but by id alone (the engine acts for no caller).</summary>
    Task<SyncChange<T>?> MutateSyncAsync<T>(Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide, CancellationToken ct = default);

    /// <summary>
    /// Several <see cref="MutateSyncAsync{T}(Guid, Func{SyncSnapshot, SyncChange{T}}, CancellationToken)"/> in one
    /// transaction (group commit: the engine reports many finished runs at once). Each mutation sees its Sync as
    /// locked (SQLite: a row the dispatcher claimed may come from memory, as committed, instead of being read back;
    /// its UPDATE still checks the version) and is checked and written exactly as by the single form; results come back in input order (null
    /// where the Sync does not exist). Sync rows are locked up front in the order credential deletes lock them. If any decision throws or any change
    /// breaks the rules, nothing of the batch is written and the exception propagates (the caller may retry
    /// them one by one). The default implementation applies them one at a time.
    /// </summary>
    async Task<IReadOnlyList<SyncChange<T>?>> MutateSyncsAsync<T>(
        IReadOnlyList<(Guid SyncId, Func<SyncSnapshot, SyncChange<T>> Decide)> mutations, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(mutations);
        var results = new SyncChange<T>?[mutations.Count];
        for (var i = 0; i < mutations.Count; i++)
        {
            results[i] = await MutateSyncAsync(mutations[i].SyncId, mutations[i].Decide, ct);
        }
        return results;
    }

    /// <summary>A Sync with its open runs by id alone, or null.</summary>
    Task<SyncSnapshot?> GetSyncAsync(Guid syncId, CancellationToken ct = default);

    /// <summary>A credential by id alone, deleted ones excluded, or null.</summary>
    Task<Credential?> GetCredentialAsync(Guid credentialId, CancellationToken ct = default);

    /// <summary>
    /// <see cref="GetCredentialAsync(Guid, CancellationToken)"/> for many ids at once (the credentials of one dispatch
    /// round's runs): each credential that exists and is not deleted, by id; the others are absent. The default
    /// implementation reads them one at a time.
    /// </summary>
    async Task<IReadOnlyDictionary<Guid, Credential>> GetCredentialsAsync(IReadOnlyCollection<Guid> credentialIds,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(credentialIds);
        var found = new Dictionary<Guid, Credential>();
        foreach (var id in credentialIds.Distinct())
        {
            if (await GetCredentialAsync(id, ct) is { } credential)
            {
                found[id] = credential;
            }
        }
        return found;
    }

    /// <summary>
    /// Writes one page of a run in one transaction, fenced: nothing is written (result Fenced) unless
    /// the run is RUNNING under <see cref="RecordPage.Attempt"/>. Each upsert whose record is new, was a
    /// tombstone, or has another fingerprint gets the next change sequence of the Sync; unchanged records
    /// are only marked as seen by this run. Each of <see cref="RecordPage.Deletions"/> that is a live record of the
    /// Sync becomes a tombstone with a new sequence. With <see cref="RecordPage.ReconcileUnseen"/>, every live
    /// record of the Sync not seen by this run becomes a tombstone with a new sequence. Updates the
    /// Sync's summary (totals, latest record sequence) and, when given, its source cursor. Unless the run is the
    /// INITIAL one, each change is also logged, in the same transaction, as record_created (new or back from a
    /// tombstone), record_updated or record_deleted, in the order the changes took their sequences.
    /// </summary>
    Task<RecordPageResult> WriteRecordPageAsync(RecordPage page, CancellationToken ct = default);

    /// <summary>
    /// The fingerprints of the Sync's live records among <paramref name="externalIds"/> (tombstones and unknown ids
    /// are absent): what a connector asks before spending a request per record (<c>SourceContext.Known</c>).
    /// </summary>
    Task<IReadOnlyDictionary<string, string>> ReadLiveFingerprintsAsync(Guid syncId, IReadOnlyCollection<string> externalIds,
        CancellationToken ct = default);
}
