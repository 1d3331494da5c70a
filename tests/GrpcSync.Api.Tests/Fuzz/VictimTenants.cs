using System.Text;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>One user whose data a storm must leave untouched, and the ids of that data.</summary>
public sealed record Victim(TestUser User, string Marker, IReadOnlyList<string> CredentialIds, IReadOnlyList<string> SyncIds, IReadOnlyList<string> RunIds);

/// <summary>
/// Two users in different projects (proj-a, proj-b), each with a googledrive and a salesforce credential
/// and a Sync on each (one of them disabled, so two statuses are covered). Every display and configuration
/// name carries the victim's <see cref="Victim.Marker"/>, so a response that leaks their data to someone
/// else can be recognised. <see cref="SnapshotAsync"/> reads everything back over REST, as JSON text.
/// </summary>
public sealed class VictimTenants
{
    private VictimTenants(Victim a, Victim b)
    {
        A = a;
        B = b;
    }

    public Victim A { get; }
    public Victim B { get; }
    public IReadOnlyList<Victim> All => [A, B];

    public static async Task<VictimTenants> CreateAsync(ServerFixture server)
    {
        var a = await CreateVictimAsync(server.NewUser(ServerFixture.ProjectA), "victim-a");
        var b = await CreateVictimAsync(server.NewUser(ServerFixture.ProjectB), "victim-b");
        return new VictimTenants(a, b);
    }

    private static async Task<Victim> CreateVictimAsync(TestUser user, string name)
    {
        var marker = $"{name}-{Guid.NewGuid():N}";
        var drive = (await user.CreateCredential(Transport.Grpc, "googledrive", marker + "-drive", "drive-secret-" + marker)).Ok();
        var crm = (await user.CreateCredential(Transport.Grpc, "salesforce", marker + "-crm", "crm-secret-" + marker)).Ok();

        var files = TestUser.EnableRequest("files", marker + "-folder", drive.Id);
        files.ConfigurationName = marker + "-files";
        var filesSync = (await user.EnableSync(Transport.Grpc, files)).Ok();
        var contacts = TestUser.EnableRequest("contacts", marker + "-contacts", crm.Id, "salesforce");
        contacts.ConfigurationName = marker + "-contacts";
        contacts.IncrementalAccumulatorFrequency = "1h";
        var contactsSync = (await user.EnableSync(Transport.Grpc, contacts)).Ok();
        (await user.DisableSync(Transport.Grpc, contactsSync.Id)).Ok();

        var runs = new List<string>();
        foreach (var syncId in new[] { filesSync.Id, contactsSync.Id })
        {
            runs.AddRange((await user.ListSyncRuns(Transport.Grpc, syncId, pageSize: 100)).Ok().Runs.Select(r => r.Id));
        }
        return new Victim(user, marker, [drive.Id, crm.Id], [filesSync.Id, contactsSync.Id], runs);
    }

    /// <summary>Every read of both victims' data (lists, single gets, runs, filtered lists) as "path → HTTP status + body".</summary>
    public async Task<IReadOnlyDictionary<string, string>> SnapshotAsync()
    {
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var victim in All)
        {
            var paths = new List<string> { "/api/credentials", "/api/syncs" };
            paths.AddRange(victim.CredentialIds.Select(id => $"/api/credentials/{id}"));
            paths.AddRange(victim.CredentialIds.Select(id => $"/api/syncs?credentialId={id}"));
            paths.AddRange(victim.SyncIds.Select(id => $"/api/syncs/{id}"));
            paths.AddRange(victim.SyncIds.Select(id => $"/api/syncs/{id}/runs?pageSize=100"));
            paths.AddRange(victim.SyncIds.Select(id => $"/api/syncs/{id}/records"));
            foreach (var path in paths)
            {
                var response = await victim.User.Rest(HttpMethod.Get, path);
                snapshot[$"{victim.Marker} GET {path}"] = $"{response.Status} {response.Text}";
            }
        }
        return snapshot;
    }

    /// <summary>The reads that differ between two snapshots, before and after (empty when nothing changed).</summary>
    public static string Differences(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        var text = new StringBuilder();
        foreach (var (key, old) in before)
        {
            var now = after.GetValueOrDefault(key, "<missing>");
            if (now != old)
            {
                // The bodies are long and mostly equal: show them around the first difference.
                var at = 0;
                while (at < old.Length && at < now.Length && old[at] == now[at])
                {
                    at++;
                }
                var from = Math.Max(0, at - 80);
                text.AppendLine($"  {key} (differs from character {at}; before {old.Length}, after {now.Length} characters)");
                text.AppendLine($"    before: …{old[from..Math.Min(old.Length, at + 160)]}…");
                text.AppendLine($"    after:  …{now[from..Math.Min(now.Length, at + 160)]}…");
            }
        }
        return text.ToString();
    }

    /// <summary>True when the text contains a victim's marker (their display or configuration names).</summary>
    public bool Leaks(string text) => All.Any(v => text.Contains(v.Marker, StringComparison.Ordinal));

    public IEnumerable<string> AllSyncIds => All.SelectMany(v => v.SyncIds);
    public IEnumerable<string> AllCredentialIds => All.SelectMany(v => v.CredentialIds);
    public IEnumerable<string> AllRunIds => All.SelectMany(v => v.RunIds);
}
