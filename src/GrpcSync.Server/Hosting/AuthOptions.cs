namespace GrpcSync.Server.Hosting;

public sealed class AuthOptions
{
    /// <summary>The audience host used when none is configured.</summary>
    public const string DefaultAudienceHost = "grpcsync.local";

    /// <summary>
    /// Accepted host parts of the <c>aud</c> claim, which is <c>&lt;host&gt;/&lt;projectId&gt;</c>.
    /// Empty means <see cref="DefaultAudienceHost"/> (a list default would be appended to, not replaced,
    /// by configuration binding).
    /// </summary>
    public List<string> AudienceHosts { get; set; } = [];

    public IReadOnlyList<string> EffectiveAudienceHosts => AudienceHosts.Count > 0 ? AudienceHosts : [DefaultAudienceHost];

    /// <summary>Projects by id, each with the RSA public key its tokens are signed with.</summary>
    public Dictionary<string, ProjectKeyOptions> Projects { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Tolerated clock difference for <c>exp</c>/<c>iat</c>, in seconds.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>
    /// Development only: generate (once, under DataDirectory/dev) an RSA key for the project
    /// <see cref="DevelopmentProjectId"/> and print a ready-made token at start-up. Never set in production.
    /// </summary>
    public bool GenerateDevelopmentKey { get; set; }

    public string DevelopmentProjectId { get; set; } = "dev-project";
}
