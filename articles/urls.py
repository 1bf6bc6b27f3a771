from django.urls import path

from . import feeds, views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.article_detail, name="detail"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("topics/<slug:slug>/feed/", feeds.TopicFeed(), name="topic_feed"),
    path("search/", views.search, name="search"),
    path("preview/<str:token>/", views.article_preview, name="preview"),
    path("feed/", feeds.LatestArticlesFeed(), name="feed"),
    path("feed/rss/", feeds.LatestArticlesRssFeed(), name="feed_rss"),
]
