namespace GrpcSync.Engine.Credentials;

/// <summary>
/// Turns a credential's stored (protected) secret back into the plain secret a connector needs, and protects a
/// rewritten one (an OAuth refresh stores the new access token and any rotated refresh token).
/// The server implements it with ASP.NET Core Data Protection; the engine only ever holds the plain
/// secret in memory for one run and never logs it.
/// </summary>
public interface ICredentialSecrets
{
    string Reveal(string protectedSecret);

    string Protect(string secret);
}
