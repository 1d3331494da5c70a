using GrpcSync.Domain;
using GrpcSync.Server.Auth;
using GrpcSync.Server.Hosting;
using Microsoft.Extensions.Options;

namespace GrpcSync.Api.Tests;

/// <summary>
/// <c>token --sub … [--hours …] [--admin]</c> run in-process on a temp data directory: the printed token is
/// checked by the real validator against the development key it created.
/// </summary>
public sealed class TokenCommandTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "grpcsync-token-command-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private (int Exit, string Output, string Error) Run(params string[] flags)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] args = ["token", .. flags, $"--GrpcSync:DataDirectory={_dataDirectory}", "--GrpcSync:Auth:GenerateDevelopmentKey=true"];
        var exit = TokenCommand.Run(args, output, error);
        return (exit, output.ToString().Trim(), error.ToString());
    }

    private async Task<AuthenticatedCaller> Validate(string token)
    {
        var options = new GrpcSyncOptions { DataDirectory = _dataDirectory };
        var key = DevelopmentKey.LoadOrCreate(_dataDirectory, options.Auth.DevelopmentProjectId);
        options.Auth.Projects[key.ProjectId] = new ProjectKeyOptions { PublicKeyPem = key.PublicKey.ExportSubjectPublicKeyInfoPem() };
        var wrapped = Options.Create(options);
        return await new TokenValidator(wrapped, new ProjectKeys(wrapped), TimeProvider.System).ValidateAsync("Bearer " + token);
    }

    [Fact]
    public async Task Admin_flag_prints_an_administrator_token_and_leaves_the_other_flags_working()
    {
        var (exit, token, error) = Run("--sub", "ops", "--admin", "--hours", "1");

        Assert.True(exit == 0, error);
        var caller = await Validate(token);
        Assert.Equal(new Scope("dev-project", "ops"), caller.Scope);
        Assert.True(caller.IsAdmin);
        // "--admin" did not swallow "--hours": the token lives one hour, not the default twelve.
        var lifetime = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).ValidTo - DateTime.UtcNow;
        Assert.InRange(lifetime, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
    }

    [Fact]
    public async Task Without_the_flag_the_token_is_an_ordinary_users()
    {
        var (exit, token, error) = Run("--sub", "alice");

        Assert.True(exit == 0, error);
        var caller = await Validate(token);
        Assert.Equal(new Scope("dev-project", "alice"), caller.Scope);
        Assert.False(caller.IsAdmin);
    }

    [Fact]
    public void Without_a_development_key_the_command_refuses()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = TokenCommand.Run(["token", "--sub", "ops", "--admin", $"--GrpcSync:DataDirectory={_dataDirectory}"], output, error);

        Assert.Equal(2, exit);
        Assert.Equal("", output.ToString());
        Assert.Contains("GenerateDevelopmentKey", error.ToString(), StringComparison.Ordinal);
    }
}
