"""The proxy core: forwards HTTP and WebSockets to Confluence; knows nothing about ONLYOFFICE."""

from gateway.proxy.plugin import PLUGIN_PREFIX, BodyTransform, Plugin, PluginContext, ResponseFilter

__all__ = ["PLUGIN_PREFIX", "BodyTransform", "Plugin", "PluginContext", "ResponseFilter"]
