using GrpcSync.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using GrpcSync.Storage;
using GrpcSync.Storage.Sqlite;

namespace GrpcSync.Api.Tests;

/// <summary>
/// The store settings of the host: the SQLite durability, and a clear error at start-up for a bad value; the event
/// log switch (on unless a benchmark turns it off).
/// </summary>
public sealed class StoreSettingsTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "grpcsync-store-settings-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private ISyncStore StoreWith(string? durability, string? eventLog = null)
    {
        var app = GrpcSyncApp.Build([], builder =>
        {
            builder.Logging.ClearProviders();
            var settings = new Dictionary<string, string?>
            {
                ["GrpcSync:DataDirectory"] = _dataDirectory,
                ["GrpcSync:Auth:GenerateDevelopmentKey"] = "false",
                ["GrpcSync:Engine:Enabled"] = "false",
            };
            if (durability is not null)
            {
                settings["GrpcSync:Store:SqliteDurability"] = durability;
            }
            if (eventLog is not null)
            {
                settings["GrpcSync:Store:EventLog"] = eventLog;
            }
            builder.Configuration.AddInMemoryCollection(settings);
        });
        return app.Services.GetRequiredService<ISyncStore>();
    }

    [Theory]
    [InlineData(null, SqliteDurability.Normal)]
    [InlineData("Full", SqliteDurability.Full)]
    [InlineData("full", SqliteDurability.Full)]
    [InlineData("Normal", SqliteDurability.Normal)]
    public void SqliteDurability_IsBound(string? setting, SqliteDurability expected)
    {
        var store = Assert.IsType<SqliteSyncStore>(StoreWith(setting));
        using (store)
        {
            Assert.Equal(expected, store.Durability);
        }
    }

    [Theory]
    [InlineData("Extra")]
    [InlineData("1")]
    [InlineData("")]
    public void AnUnknownSqliteDurability_FailsAtStartUp_NamingTheSetting(string setting)
    {
        var error = Assert.Throws<InvalidOperationException>(() => StoreWith(setting));
        Assert.Contains("GrpcSync:Store:SqliteDurability", error.Message, StringComparison.Ordinal);
        Assert.Contains("Normal or Full", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void EventLog_IsOnByDefault_AndBound(string? setting, bool expected)
    {
        var store = Assert.IsType<SqliteSyncStore>(StoreWith(null, setting));
        using (store)
        {
            Assert.Equal(expected, store.LogEvents);
        }
    }
}
