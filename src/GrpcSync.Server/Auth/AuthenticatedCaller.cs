using GrpcSync.Domain;

namespace GrpcSync.Server.Auth;

/// <summary>
/// Who a validated token speaks for: the (project, user) scope every resource belongs to, and whether the
/// token carries <c>"role": "admin"</c>, which marks a project administrator (webhooks, project streams).
/// </summary>
public readonly record struct AuthenticatedCaller(Scope Scope, bool IsAdmin)
{
    /// <summary>The claim and value that make a token an administrator's.</summary>
    public const string RoleClaim = "role";
    public const string AdminRole = "admin";
}
