using GrpcSync.Engine.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Budgets;

/// <summary>The <see cref="ConnectorBudgetOptions"/> of every integration, looked up by name (defaults for the rest).</summary>
public sealed class ConnectorBudgets
{
    private static readonly ConnectorBudgetOptions Defaults = new();
    private readonly Dictionary<string, ConnectorBudgetOptions> _byIntegration;

    public ConnectorBudgets(IReadOnlyDictionary<string, ConnectorBudgetOptions> byIntegration)
    {
        ArgumentNullException.ThrowIfNull(byIntegration);
        _byIntegration = new Dictionary<string, ConnectorBudgetOptions>(byIntegration, StringComparer.OrdinalIgnoreCase);
        var problems = _byIntegration.SelectMany(pair => pair.Value.Validate(pair.Key)).ToList();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(ConnectorBudgetOptions.SectionName, typeof(ConnectorBudgetOptions), problems);
        }
    }

    /// <summary>Every integration on the defaults.</summary>
    public static ConnectorBudgets Default { get; } = new(new Dictionary<string, ConnectorBudgetOptions>());

    /// <summary>Binds each child of <c>GrpcSync:Connectors</c> (other keys there are the connectors' own).</summary>
    public static ConnectorBudgets FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var byIntegration = new Dictionary<string, ConnectorBudgetOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var child in configuration.GetSection(ConnectorBudgetOptions.SectionName).GetChildren())
        {
            var options = new ConnectorBudgetOptions();
            child.Bind(options);
            byIntegration[child.Key] = options;
        }
        return new ConnectorBudgets(byIntegration);
    }

    public ConnectorBudgetOptions For(string integration) =>
        _byIntegration.TryGetValue(integration, out var options) ? options : Defaults;

    /// <summary>The cap the dispatcher applies to a Sync of <paramref name="integration"/>.</summary>
    public int MaxRunsPerCredential(string integration) => For(integration).MaxRunsPerCredential;
}
